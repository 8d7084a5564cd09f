# geowire image: built from this repository on Debian with the distribution's
# packages (the same ones scripts/deps.sh installs), so it builds on amd64
# and arm64 alike (geowire has no architecture-specific code).
#   docker build -t geowire .
#   docker build --build-arg DEBIAN=trixie -t geowire .   # librdkafka 2.8 (SCRAM on Kafka 4.x)
ARG DEBIAN=bookworm

FROM debian:${DEBIAN}-slim AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential pkg-config librdkafka-dev \
      libjansson-dev libyaml-dev libutf8proc-dev libmicrohttpd-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make -j"$(nproc)" build/geowire

FROM debian:${DEBIAN}-slim
# The runtime libraries, by name pattern: trixie renamed some (t64, new
# sonames), so the same file works on bookworm and trixie.
RUN apt-get update \
 && apt-get install -y --no-install-recommends '^librdkafka1(t64)?$' '^libjansson4(t64)?$' \
      '^libyaml-0-2(t64)?$' '^libutf8proc[0-9]+(t64)?$' '^libmicrohttpd[0-9]+(t64)?$' ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/build/geowire /usr/local/bin/geowire
COPY config /etc/geowire
USER nobody
ENTRYPOINT ["geowire"]
CMD ["run", "-c", "/etc/geowire/geowire.yaml"]
