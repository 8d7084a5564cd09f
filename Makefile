# geowire - build, run and test. `make help` lists the targets.
PKGS      := rdkafka jansson yaml-0.1 libutf8proc libmicrohttpd
CC        ?= cc
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
WARN      := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-missing-field-initializers
CFLAGS    ?= -O2 -g
ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -Iinclude $(PKG_CFLAGS) $(CFLAGS)
LIBS      := $(PKG_LIBS) -lpthread -lm
SAN       := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIB_SRC   := $(filter-out consumer/main.c,$(wildcard config/*.c processors/*.c consumer/*.c))
MAIN_SRC  := consumer/main.c
UNIT_SRC  := $(wildcard tests/unit/test_*.c)
INTEG_SRC := $(wildcard tests/integration/test_*.c)
TSUP_SRC  := $(wildcard tests/support/*.c)

OBJ       := $(patsubst %.c,build/obj/%.o,$(LIB_SRC))
SOBJ      := $(patsubst %.c,build/san/%.o,$(LIB_SRC) $(TSUP_SRC))
UNIT_BIN  := $(patsubst tests/unit/%.c,build/san/tests/%,$(UNIT_SRC))
INTEG_BIN := $(patsubst tests/integration/%.c,build/san/tests/%,$(INTEG_SRC))

.PHONY: all deps run test unit integration eval bench clean help check-config seed-check \
        install uninstall check-install fuzz fuzz-smoke fuzz-build valgrind soak soak-smoke test-browser \
        test-kafka check-compose
all: build/geowire

help:
	@echo "make            build build/geowire"
	@echo "make run        install what is missing, build, run on the embedded broker over the sample feed"
	@echo "make test       unit + integration tests (ASan+UBSan); every record checked against the schema"
	@echo "make eval       precision/recall of countries, people, themes, officials on tests/eval"
	@echo "make install    binary, config, dictionaries, systemd unit, man page (PREFIX, DESTDIR, SYSCONFDIR)"
	@echo "make check-install  install into a temp folder and check the tree, the unit and the man page"
	@echo "make test-browser  the status page in headless chromium (screenshot: build/status-page.png)"
	@echo "make bench      tagger and end-to-end throughput, peak RSS, latency (README Performance)"
	@echo "make test-kafka the real-broker suite: Apache Kafka from Maven Central, started and stopped"
	@echo "make check-compose  docker compose config on docker-compose.yml (builds the compose plugin once)"

deps:
	@scripts/deps.sh

build/geowire: $(OBJ) build/obj/consumer/main.o
	$(CC) $(ALL_CFLAGS) -o $@ $^ $(LIBS)

build/obj/%.o: %.c $(wildcard include/geowire/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The sanitizer build: the same sources, plus the test binaries and a
# sanitized geowire that the integration tests drive as a real process.
build/san/%.o: %.c $(wildcard include/geowire/*.h tests/support/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN) -Itests -c -o $@ $<

build/san/geowire: $(SOBJ) build/san/consumer/main.o
	$(CC) $(ALL_CFLAGS) $(SAN) -o $@ $(filter-out build/san/tests/%,$^) $(LIBS)

build/san/tests/%: tests/unit/%.c $(SOBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN) -Itests -o $@ $^ $(LIBS) -lcriterion

build/san/tests/%: tests/integration/%.c $(SOBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN) -Itests -o $@ $^ $(LIBS) -lcriterion

run: deps build/geowire
	build/geowire run -c config/geowire.yaml --print --feed config/sample-feed.jsonl

# Every record the unit tests produce is also validated against the schema.
test: deps build/geowire build/san/geowire $(UNIT_BIN) $(INTEG_BIN)
	@rm -f build/test-records.jsonl
	@GW_RECORD_DUMP=$(CURDIR)/build/test-records.jsonl scripts/run-tests.sh $(UNIT_BIN) $(INTEG_BIN)
	@python3 tools/validate-records.py build/test-records.jsonl

unit: build/san/geowire $(UNIT_BIN)
	@scripts/run-tests.sh $(UNIT_BIN)

integration: build/san/geowire $(INTEG_BIN)
	@scripts/run-tests.sh $(INTEG_BIN)

# Benchmarks (README "Performance"): the tagger in-process, then the daemon
# end to end on the embedded broker; a table on stdout, build/bench.json.
# Figures only, no assertion: targets are read, never timed in tests.
BENCH_SRC := $(wildcard bench/*.c)
bench: build/geowire build/bench
	nice -n 10 build/bench --geowire build/geowire --json build/bench.json

build/bench: $(BENCH_SRC) $(wildcard bench/*.h) $(OBJ)
	$(CC) $(ALL_CFLAGS) -Ibench -o $@ $(BENCH_SRC) $(OBJ) $(LIBS)

# The floors sit a little under today's figures: a dictionary change that
# costs more than that fails CI.
eval: build/geowire
	python3 tools/eval.py --geowire build/geowire --set tests/eval/items.jsonl \
	    --min-precision 0.95 --min-recall 0.95 --min-precision themes=0.85 --min-recall themes=0.85
	python3 tools/eval.py --geowire build/geowire --set tests/eval/officials.jsonl \
	    --min-precision officials=0.9 --min-recall officials=0.85

seed-check: build/geowire
	python3 tools/seed-check.py --geowire build/geowire

check-config: build/geowire
	build/geowire check -c config/geowire.yaml

# --- HTTP endpoint: the status page is compiled into the binary --------------
# consumer/status.html becomes a C array (NUL-terminated) in build/gen.
build/gen/status_html.h: consumer/status.html
	@mkdir -p $(dir $@)
	{ echo 'static const char gw_status_html[] = {'; od -An -v -tx1 $< | \
	  sed 's/ *\([0-9a-f][0-9a-f]\)/0x\1,/g'; echo '0x00};'; } > $@.tmp && mv $@.tmp $@
HTTP_OBJS := build/obj/consumer/http.o build/san/consumer/http.o build/vg/consumer/http.o
$(HTTP_OBJS): build/gen/status_html.h
$(HTTP_OBJS): CFLAGS += -Ibuild/gen

# The status page in headless Debian chromium, driven by playwright-core
# (which never downloads a browser here); screenshot in build/status-page.png.
BROWSER_DIR := build/browser
$(BROWSER_DIR)/node_modules/playwright-core/package.json:
	@scripts/deps.sh browser
	@mkdir -p $(BROWSER_DIR)
	npm install --silent --no-audit --no-fund --prefix $(BROWSER_DIR) playwright-core@1.65.1

test-browser: build/geowire $(BROWSER_DIR)/node_modules/playwright-core/package.json
	NODE_PATH=$(CURDIR)/$(BROWSER_DIR)/node_modules timeout 300 node tests/browser/status-page.cjs \
	    build/geowire config/geowire.yaml config/sample-feed.jsonl build/status-page.png

# The real-broker suite (tests/kafka/): tests/kafka/run.sh obtains Apache
# Kafka with Maven (Java and Maven installed when missing), starts it on
# loopback, runs the suites one test at a time and stops it.
KAFKA_SRC := $(wildcard tests/kafka/test_*.c)
KAFKA_BIN := $(patsubst tests/kafka/%.c,build/san/tests/kafka/%,$(KAFKA_SRC))

build/san/tests/kafka/%: tests/kafka/%.c tests/kafka/kafka_support.c tests/kafka/kafka_support.h $(SOBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN) -Itests -o $@ $< tests/kafka/kafka_support.c $(SOBJ) $(LIBS) -lcriterion

test-kafka: deps build/geowire build/san/geowire $(KAFKA_BIN)
	@tests/kafka/run.sh $(KAFKA_BIN)

# docker-compose.yml through `docker compose config`; the compose plugin is
# built from its Go module into ~/.cache/geowire when missing (not in CI:
# README "Run with Kafka").
check-compose:
	@scripts/check-compose.sh

clean:
	rm -rf build

# --- Installing (see README "Installing and systemd") ------------------------
# make install [PREFIX=/usr/local] [DESTDIR=staging] [SYSCONFDIR=/etc]
# The config and dictionaries go to SYSCONFDIR/geowire, where an operator
# edits them and `systemctl reload geowire` picks them up; an existing file
# there is never overwritten (the shipped one is written beside it as .dist).
PREFIX     ?= /usr/local
BINDIR     ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
DATADIR    ?= $(PREFIX)/share
MANDIR     ?= $(DATADIR)/man
UNITDIR    ?= $(PREFIX)/lib/systemd/system
ETC_FILES  := $(patsubst config/%,%,$(wildcard config/*.yaml config/dictionaries/*.* \
                  config/dictionaries/title-patterns/*.yaml))

install: build/geowire
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/geowire/dictionaries/title-patterns \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(DATADIR)/geowire
	install -m 0755 build/geowire $(DESTDIR)$(BINDIR)/geowire
	@for f in $(ETC_FILES); do \
	    dst="$(DESTDIR)$(SYSCONFDIR)/geowire/$$f"; \
	    if [ -e "$$dst" ] && ! cmp -s "config/$$f" "$$dst"; then \
	        install -m 0644 "config/$$f" "$$dst.dist"; \
	        echo "kept $$dst (yours); the shipped version is $$dst.dist"; \
	    else install -m 0644 "config/$$f" "$$dst"; fi; \
	done
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' packaging/geowire.service \
	    > $(DESTDIR)$(UNITDIR)/geowire.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/geowire.service
	install -m 0644 packaging/geowire.1 $(DESTDIR)$(MANDIR)/man1/geowire.1
	install -m 0644 schema/record.schema.json $(DESTDIR)$(DATADIR)/geowire/record.schema.json

# Leaves SYSCONFDIR/geowire alone: it holds the operator's edits.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/geowire $(DESTDIR)$(UNITDIR)/geowire.service \
	    $(DESTDIR)$(MANDIR)/man1/geowire.1 $(DESTDIR)$(DATADIR)/geowire/record.schema.json
	-rmdir $(DESTDIR)$(DATADIR)/geowire 2>/dev/null

# The installed tree, the unit (systemd-analyze verify when present) and a
# man page that names every option of every command's --help.
check-install: build/geowire
	tests/packaging/check-install.sh

# --- hardening: fuzzing, valgrind, allocation failures, soak -----------------
# libFuzzer targets (fuzz/): clang with libclang-rt-14-dev, installed by
# scripts/deps.sh. Each target also builds with fuzz/replay.c into the test
# build, and `make test` replays the seed corpora and past crashes.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := pipeline text match config dict rules
# resolve: the pipeline target again, over news text and the shipped names
FUZZ_RUNS    := pipeline resolve text match config dict rules
FUZZ_LIB_SRC := $(LIB_SRC)
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
FUZZ_OBJ     := $(patsubst %.c,build/fuzz/%.o,$(FUZZ_LIB_SRC) fuzz/support.c)
FUZZ_BIN     := $(patsubst %,build/fuzz/fuzz_%,$(FUZZ_TARGETS))
REPLAY_BIN   := $(patsubst %,build/san/fuzz/replay_%,$(FUZZ_TARGETS))

fuzz-build: deps $(FUZZ_BIN)
.SECONDARY: $(FUZZ_OBJ) $(patsubst %,build/fuzz/fuzz/fuzz_%.o,$(FUZZ_TARGETS))

build/fuzz/%.o: %.c $(wildcard include/geowire/*.h fuzz/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(ALL_CFLAGS) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer-no-link -Ifuzz -c -o $@ $<

build/fuzz/consumer/http.o: build/gen/status_html.h
build/fuzz/consumer/http.o: CFLAGS += -Ibuild/gen

build/fuzz/fuzz_%: build/fuzz/fuzz/fuzz_%.o $(FUZZ_OBJ)
	$(FUZZ_CC) $(ALL_CFLAGS) -O1 -g $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(LIBS)

build/san/fuzz/replay_%: fuzz/fuzz_%.c fuzz/replay.c fuzz/support.c $(filter-out build/san/tests/%,$(SOBJ))
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN) -Ifuzz -o $@ $^ $(LIBS)

# make fuzz FUZZ_SECONDS=600 runs each target that long; new inputs go to
# build/fuzz/corpus/<target>, crashes to build/fuzz/crashes/.
fuzz: fuzz-build
	@fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_RUNS)

fuzz-smoke: fuzz-build
	@fuzz/run.sh 30 $(FUZZ_RUNS)

# The replay test needs every target's replay binary.
build/san/tests/test_fuzz_replay: | $(REPLAY_BIN)

# Valgrind memcheck needs a build without sanitizers: build/vg/.
VG_OBJ := $(patsubst %.c,build/vg/%.o,$(LIB_SRC) $(MAIN_SRC))

build/vg/%.o: %.c $(wildcard include/geowire/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -O1 -g -c -o $@ $<

build/vg/consumer/http.o: build/gen/status_html.h
build/vg/consumer/http.o: CFLAGS += -Ibuild/gen

build/vg/geowire: $(VG_OBJ)
	$(CC) $(ALL_CFLAGS) -O1 -g -o $@ $^ $(LIBS)

valgrind: deps build/vg/geowire
	@tests/valgrind.sh

# make soak DURATION=1800 [RATE=100]: the release build under a steady
# stream with broker faults and kill -9 restarts (tests/soak/soak.c).
DURATION ?= 1800
RATE     ?= 100
build/soak/soak: tests/soak/soak.c tests/support/support.c $(OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests -o $@ $^ $(LIBS)

soak: deps build/geowire build/soak/soak
	nice -n 10 build/soak/soak --duration $(DURATION) --rate $(RATE) --fault-every 60 --kill-every 300 \
	    --report build/soak/report.json

soak-smoke: deps build/geowire build/soak/soak
	build/soak/soak --duration 90 --rate $(RATE) --fault-every 12 --kill-every 35 \
	    --report build/soak/smoke.json
