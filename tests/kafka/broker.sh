#!/bin/bash
# A real Apache Kafka broker for the real-broker suite (tests/kafka/).
#
#   tests/kafka/broker.sh start    resolve, format, start, wait until it answers metadata
#   tests/kafka/broker.sh stop     stop it by PID (SIGTERM, then SIGKILL after a bound)
#   tests/kafka/broker.sh status   print its environment file, exit 1 when it is not running
#   tests/kafka/broker.sh classpath   resolve the jars only and print the classpath
#
# The broker comes from Maven Central: org.apache.kafka:kafka_2.13 and
# kafka-tools (console consumer, DumpLogSegments), one pinned version with
# their runtime dependencies, resolved by Maven into a cache outside the
# repository ($GW_KAFKA_CACHE, default ~/.cache/geowire/kafka-<version>).
# One KRaft node is broker and controller at once, on loopback ports picked
# free at start: PLAINTEXT, SASL_PLAINTEXT with mechanism PLAIN (one user,
# a random password per start), SSL with mutual TLS (client certificate
# required), SASL_SSL with PLAIN (server certificate only), MISNAMED (SSL
# whose certificate names another host, for the host name check),
# CONTROLLER.
# The TLS material is a throwaway PKI made with openssl at each start in
# $GW_KAFKA_STATE/tls (see make_pki). Not SCRAM: librdkafka before
# 2.6.1 (Debian 12 ships 2.0.2) builds a SCRAM proof that Kafka 4.x brokers
# reject (librdkafka#4895), see README "Run with Kafka". Storage is formatted
# in a fresh state folder ($GW_KAFKA_STATE, default /tmp/geowire-kafka-$UID)
# with a random cluster id. `start` writes $GW_KAFKA_STATE/env, sourced by
# the suite:
#   GW_KAFKA_BROKERS        PLAINTEXT bootstrap (127.0.0.1:PORT)
#   GW_KAFKA_SASL_BROKERS   SASL_PLAINTEXT bootstrap
#   GW_KAFKA_SASL_USER, GW_KAFKA_SASL_PASSWORD   SASL/PLAIN credentials
#   GW_KAFKA_SSL_BROKERS    SSL bootstrap (mutual TLS)
#   GW_KAFKA_SASL_SSL_BROKERS   SASL_SSL bootstrap (PLAIN, same credentials)
#   GW_KAFKA_SSL_MISNAMED_BROKERS   SSL (mutual TLS) with a certificate that
#                           the same CA signed for elsewhere.invalid only
#   GW_KAFKA_SSL_CA         the CA that signed the broker and client certificates (PEM)
#   GW_KAFKA_SSL_OTHER_CA   an unrelated CA (PEM), for tests that must fail
#   GW_KAFKA_SSL_CERT, GW_KAFKA_SSL_KEY   client certificate and its key (PEM,
#                           the key encrypted with GW_KAFKA_SSL_KEY_PASSWORD)
#   GW_KAFKA_SSL_KEY_PASSWORD
#   GW_KAFKA_CLASSPATH      the jars, for Kafka's own tools
#   GW_KAFKA_DATA           the log.dirs folder (stored batches)
#   GW_KAFKA_VERSION
# Java 17+ and Maven are installed with apt-get when missing and running as
# root; otherwise the script says what to install and exits 1.
set -euo pipefail

KAFKA_VERSION="${GW_KAFKA_VERSION:-4.4.0}"
CACHE="${GW_KAFKA_CACHE:-$HOME/.cache/geowire/kafka-$KAFKA_VERSION}"
STATE="${GW_KAFKA_STATE:-/tmp/geowire-kafka-$(id -u)}"
START_TIMEOUT_S="${GW_KAFKA_START_TIMEOUT_S:-90}"
STOP_TIMEOUT_S=30

die() { echo "broker.sh: $*" >&2; exit 1; }

java_major() {
    java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n 1
}

# Java 17+ (Kafka 4 brokers need 17) and Maven, installed when missing.
need_tools() {
    local missing=""
    if ! command -v java >/dev/null 2>&1 || [ "$(java_major)" -lt 17 ]; then
        missing="$missing openjdk-17-jre-headless"
    fi
    command -v mvn >/dev/null 2>&1 || missing="$missing maven"
    command -v kcat >/dev/null 2>&1 || missing="$missing kcat"
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        die "the real-broker suite needs Java 17+, Maven and kcat; run: sudo apt-get update && sudo apt-get install -y --no-install-recommends$missing"
    fi
    echo "broker.sh: installing:$missing" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends $missing >/dev/null ||
        die "apt-get install$missing failed"
    [ "$(java_major)" -ge 17 ] || die "java is still older than 17 after the install"
}

# Resolves the pinned jars once into $CACHE/libs (a marker file says the
# copy completed, so an interrupted download is redone, never half-used).
resolve() {
    if [ -f "$CACHE/complete" ]; then return 0; fi
    need_tools
    mkdir -p "$CACHE"
    rm -rf "$CACHE/libs"
    cat > "$CACHE/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>geowire.test</groupId>
  <artifactId>kafka-broker</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>$KAFKA_VERSION</version></dependency>
    <dependency><groupId>org.apache.logging.log4j</groupId><artifactId>log4j-slf4j-impl</artifactId><version>2.25.5</version></dependency>
  </dependencies>
</project>
EOF
    echo "broker.sh: resolving Apache Kafka $KAFKA_VERSION with Maven into $CACHE" >&2
    if ! (cd "$CACHE" && mvn -B -q dependency:copy-dependencies -DincludeScope=runtime \
              -DoutputDirectory="$CACHE/libs" > "$CACHE/mvn.log" 2>&1); then
        tail -n 30 "$CACHE/mvn.log" >&2
        die "Maven could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION (log: $CACHE/mvn.log)"
    fi
    ls "$CACHE/libs/kafka_2.13-$KAFKA_VERSION.jar" >/dev/null 2>&1 ||
        die "kafka_2.13-$KAFKA_VERSION.jar missing after resolution"
    touch "$CACHE/complete"
}

classpath() {
    local cp=""
    for j in "$CACHE"/libs/*.jar; do cp="$cp${cp:+:}$j"; done
    printf '%s' "$cp"
}

# In the folder $1: a new key ($2.plain.key, unencrypted) and its
# certificate $2.pem for the subject CN $3, signed by the test CA there
# (ca.pem, ca.key), valid two days, with the X.509 extensions given after
# $3, one an argument.
signed_cert() {
    local d="$1" name="$2" cn="$3"
    shift 3
    openssl req -newkey rsa:2048 -nodes -keyout "$d/$name.plain.key" -out "$d/$name.csr" -subj "/CN=$cn" &&
        openssl x509 -req -in "$d/$name.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
            -out "$d/$name.pem" -extfile <(printf '%s\n' "$@")
}

# In the folder $1: a server certificate for the subject CN $3 and the host
# names $4 (a subjectAltName value), with its key and the CA, in the PKCS#12
# keystore $2.p12 (alias broker, password $5).
server_cert() {
    local d="$1" name="$2"
    signed_cert "$d" "$name" "$3" "subjectAltName=$4" "extendedKeyUsage=serverAuth" &&
        openssl pkcs12 -export -in "$d/$name.pem" -inkey "$d/$name.plain.key" -certfile "$d/ca.pem" \
            -name broker -passout "pass:$5" -out "$d/$name.p12"
}

# A throwaway PKI in $STATE/tls, new at each start: a CA, a second
# unrelated CA (what a misconfigured client trusts), a broker certificate
# for localhost and 127.0.0.1 (subjectAltName, so clients that verify the
# host name accept it) in a PKCS#12 keystore, and a client certificate
# whose key is encrypted with $1 (the SSL listener requires it), and a
# certificate from the same CA for another host (elsewhere.invalid). Valid
# for two days: nothing outlives a test run.
make_pki() {
    local kpass="$1" storepass="$2" d="$STATE/tls"
    mkdir -p "$d"
    chmod 700 "$d"
    local ossl=(openssl req -x509 -newkey rsa:2048 -nodes -days 2 -addext "basicConstraints=critical,CA:TRUE"
                -addext "keyUsage=critical,keyCertSign,cRLSign")
    {
        "${ossl[@]}" -keyout "$d/ca.key" -out "$d/ca.pem" -subj "/CN=geowire test CA"
        "${ossl[@]}" -keyout "$d/other-ca.key" -out "$d/other-ca.pem" -subj "/CN=geowire unrelated CA"
        server_cert "$d" broker localhost "DNS:localhost,IP:127.0.0.1" "$storepass"
        server_cert "$d" misnamed elsewhere.invalid "DNS:elsewhere.invalid" "$storepass"
        signed_cert "$d" client geowire-client "extendedKeyUsage=clientAuth"
        openssl pkcs8 -topk8 -v2 aes-256-cbc -in "$d/client.plain.key" -passout "pass:$kpass" -out "$d/client.key"
    } > "$d/openssl.log" 2>&1 || { cat "$d/openssl.log" >&2; die "generating the test PKI failed"; }
    rm -f "$d"/*.plain.key "$d"/*.csr
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

running() {
    [ -f "$STATE/pid" ] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null
}

# $1: the attempt (1 when omitted), for the retry on a port taken meanwhile.
start() {
    local attempt="${1:-1}"
    if running; then echo "broker.sh: already running (pid $(cat "$STATE/pid"))" >&2; cat "$STATE/env"; return 0; fi
    need_tools
    resolve
    rm -rf "$STATE"
    mkdir -p "$STATE/data"
    local cp; cp="$(classpath)"
    # Six distinct free ports: PLAINTEXT, SASL, SSL, SASL_SSL, MISNAMED, CONTROLLER.
    local ports=()
    while [ ${#ports[@]} -lt 6 ]; do
        local p; p="$(free_port)"
        [[ " ${ports[*]} " == *" $p "* ]] || ports+=("$p")
    done
    local pp="${ports[0]}" ps="${ports[1]}" pt="${ports[2]}" pst="${ports[3]}" pm="${ports[4]}" pc="${ports[5]}"
    local user=geowire-test
    local pass kpass storepass
    pass="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
    kpass="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
    storepass="$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"
    make_pki "$kpass" "$storepass"
    local tls="$STATE/tls"

    cat > "$STATE/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$pc
listeners=PLAINTEXT://127.0.0.1:$pp,SASL_PLAINTEXT://127.0.0.1:$ps,SSL://127.0.0.1:$pt,SASL_SSL://127.0.0.1:$pst,MISNAMED://127.0.0.1:$pm,CONTROLLER://127.0.0.1:$pc
advertised.listeners=PLAINTEXT://127.0.0.1:$pp,SASL_PLAINTEXT://127.0.0.1:$ps,SSL://127.0.0.1:$pt,SASL_SSL://127.0.0.1:$pst,MISNAMED://127.0.0.1:$pm
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,MISNAMED:SSL,CONTROLLER:PLAINTEXT
sasl.enabled.mechanisms=PLAIN
listener.name.sasl_plaintext.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$user="$pass";
listener.name.sasl_ssl.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required user_$user="$pass";
ssl.keystore.type=PKCS12
ssl.keystore.location=$tls/broker.p12
ssl.keystore.password=$storepass
ssl.key.password=$storepass
ssl.truststore.type=PEM
ssl.truststore.location=$tls/ca.pem
listener.name.ssl.ssl.client.auth=required
listener.name.sasl_ssl.ssl.client.auth=none
listener.name.misnamed.ssl.keystore.location=$tls/misnamed.p12
listener.name.misnamed.ssl.client.auth=required
log.dirs=$STATE/data
num.partitions=1
auto.create.topics.enable=false
offsets.topic.replication.factor=1
offsets.topic.num.partitions=4
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=4
group.initial.rebalance.delay.ms=0
transaction.max.timeout.ms=900000
transaction.abort.timed.out.transaction.cleanup.interval.ms=1000
log.segment.bytes=67108864
EOF
    cat > "$STATE/log4j2.properties" <<EOF
status = error
appender.f.type = File
appender.f.name = F
appender.f.fileName = $STATE/broker.log
appender.f.layout.type = PatternLayout
appender.f.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.f.ref = F
EOF
    local jopts=(-Xmx512m -Xms128m -Dlog4j2.configurationFile="$STATE/log4j2.properties")
    local cid
    cid="$(java "${jopts[@]}" -cp "$cp" kafka.tools.StorageTool random-uuid 2>/dev/null | tail -n 1)"
    [ -n "$cid" ] || die "kafka-storage random-uuid failed"
    if ! java "${jopts[@]}" -cp "$cp" kafka.tools.StorageTool format -t "$cid" -c "$STATE/server.properties" \
            > "$STATE/format.log" 2>&1; then
        cat "$STATE/format.log" >&2
        die "formatting KRaft storage failed"
    fi
    # setsid: the broker outlives this script and is stopped by its PID.
    setsid java "${jopts[@]}" -cp "$cp" kafka.Kafka "$STATE/server.properties" \
        > "$STATE/stdout.log" 2>&1 < /dev/null &
    echo $! > "$STATE/pid"

    local deadline=$((SECONDS + START_TIMEOUT_S))
    until kcat -b "127.0.0.1:$pp" -L -m 5 2>/dev/null | grep -q '1 brokers'; do
        if ! running; then
            # The ports were free when picked, seconds before the JVM binds
            # them, and the machine's other clients take ephemeral ports all
            # the while: one was taken once here. Start again on new ports.
            if [ "$attempt" -lt 3 ] && grep -q "Address already in use" "$STATE/broker.log" 2>/dev/null; then
                echo "broker.sh: a port was taken before the broker bound it; starting again on others" >&2
                rm -f "$STATE/pid"
                start $((attempt + 1))
                return
            fi
            tail -n 30 "$STATE/stdout.log" "$STATE/broker.log" >&2 2>/dev/null || true
            die "the broker exited during start (logs in $STATE)"
        fi
        if [ $SECONDS -ge $deadline ]; then
            tail -n 30 "$STATE/broker.log" >&2 2>/dev/null || true
            stop
            die "the broker did not answer metadata requests within ${START_TIMEOUT_S}s"
        fi
        sleep 0.5
    done
    cat > "$STATE/env" <<EOF
GW_KAFKA_BROKERS=127.0.0.1:$pp
GW_KAFKA_SASL_BROKERS=127.0.0.1:$ps
GW_KAFKA_SASL_USER=$user
GW_KAFKA_SASL_PASSWORD=$pass
GW_KAFKA_SSL_BROKERS=127.0.0.1:$pt
GW_KAFKA_SASL_SSL_BROKERS=127.0.0.1:$pst
GW_KAFKA_SSL_MISNAMED_BROKERS=127.0.0.1:$pm
GW_KAFKA_SSL_CA=$tls/ca.pem
GW_KAFKA_SSL_OTHER_CA=$tls/other-ca.pem
GW_KAFKA_SSL_CERT=$tls/client.pem
GW_KAFKA_SSL_KEY=$tls/client.key
GW_KAFKA_SSL_KEY_PASSWORD=$kpass
GW_KAFKA_CLASSPATH=$cp
GW_KAFKA_DATA=$STATE/data
GW_KAFKA_VERSION=$KAFKA_VERSION
EOF
    echo "broker.sh: Apache Kafka $KAFKA_VERSION up (pid $(cat "$STATE/pid"), PLAINTEXT 127.0.0.1:$pp, SASL 127.0.0.1:$ps, SSL 127.0.0.1:$pt, SASL_SSL 127.0.0.1:$pst, MISNAMED 127.0.0.1:$pm)" >&2
}

stop() {
    if ! [ -f "$STATE/pid" ]; then echo "broker.sh: not running" >&2; return 0; fi
    local pid; pid="$(cat "$STATE/pid")"
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null || true
        local deadline=$((SECONDS + STOP_TIMEOUT_S))
        while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
        if kill -0 "$pid" 2>/dev/null; then
            echo "broker.sh: no exit after ${STOP_TIMEOUT_S}s, killing $pid" >&2
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$STATE/pid"
    echo "broker.sh: stopped (state kept in $STATE)" >&2
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) if running; then cat "$STATE/env"; else echo "broker.sh: not running" >&2; exit 1; fi ;;
classpath) resolve; classpath; echo ;;
*) echo "usage: $0 start|stop|status|classpath" >&2; exit 2 ;;
esac
