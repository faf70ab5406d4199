#!/usr/bin/env bash
# Development services for wismo's integration tests, on loopback, without Docker:
#   - Apache Kafka, single node in KRaft mode, run straight from the jars on Maven Central;
#   - ClickHouse from Debian's clickhouse-server package (18.16);
#   - chdb, a current ClickHouse embedded in Python (the PyPI package chdb), which
#     the tests use to prove the schema and queries on today's releases;
#   - chromium, Debian's headless-capable browser, which the tracking page's
#     browser test drives (installed, never left running: the test starts its own).
#
# Usage: scripts/services.sh [up|down|status] [kafka|clickhouse|chdb|chromium]...
#   up      (default) start what is not running; reuse what already answers
#   down    stop what this script started
#   status  say whether each service answers; exit 1 if one does not
# With no service named, the command applies to all three.
#
# Settings (environment):
#   WISMO_SERVICES_DIR   cache, data and logs  (default ~/.cache/wismo-services)
#   KAFKA_VERSION        4.1.1                 KAFKA_PORT / KAFKA_CONTROLLER_PORT  19092 / 19093
#   KAFKA_HEAP_OPTS      -Xmx1g -Xms256m       KAFKA_START_TIMEOUT                 90 (seconds)
#   CLICKHOUSE_TCP_PORT  9000                  CLICKHOUSE_HTTP_PORT                8123
#   CLICKHOUSE_INTERSERVER_PORT 9009           CLICKHOUSE_START_TIMEOUT            60 (seconds)
#   WISMO_PYTHON         python3 (the interpreter that gets chdb; the Go tests use the same)
set -euo pipefail

SERVICES_DIR=${WISMO_SERVICES_DIR:-$HOME/.cache/wismo-services}

KAFKA_VERSION=${KAFKA_VERSION:-4.1.1}
KAFKA_PORT=${KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-19093}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xmx1g -Xms256m}
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-90}
# The jars are cached per version; the data dir is shared so a restart finds its storage.
KAFKA_HOME=$SERVICES_DIR/kafka-$KAFKA_VERSION
KAFKA_LIBS=$KAFKA_HOME/libs
KAFKA_DATA=$SERVICES_DIR/kafka-data
# Kafka's own log segments live in a subdirectory so that the broker never sees
# our config, log and pid files as part of its storage.
KAFKA_LOG_DIRS=$KAFKA_DATA/kraft
KAFKA_PIDFILE=$KAFKA_DATA/kafka.pid
KAFKA_LOG=$KAFKA_DATA/broker.log
# kafka_2.13 4.x pulls in log4j-core and slf4j-api but no binding between them;
# without one the broker logs nothing at all (SLF4J falls back to its no-op logger),
# and the log is what we show when a start fails. Keep this at the log4j version
# that Kafka 4.x uses. (Kafka 3.x brings its own binding, slf4j-reload4j, so it
# gets no extra jar, only a log4j 1 configuration next to the log4j 2 one.)
KAFKA_LOG4J_VERSION=${KAFKA_LOG4J_VERSION:-2.24.3}
# Both logging configurations, so the same command line serves Kafka 3.x and 4.x.
kafka_log_opts() {
	printf '%s\n' "-Dlog4j2.configurationFile=$1/$2-log4j2.properties" "-Dlog4j.configuration=file:$1/$2-log4j.properties"
}

CLICKHOUSE_TCP_PORT=${CLICKHOUSE_TCP_PORT:-9000}
CLICKHOUSE_HTTP_PORT=${CLICKHOUSE_HTTP_PORT:-8123}
CLICKHOUSE_INTERSERVER_PORT=${CLICKHOUSE_INTERSERVER_PORT:-9009}
CLICKHOUSE_START_TIMEOUT=${CLICKHOUSE_START_TIMEOUT:-60}
CLICKHOUSE_DATA=$SERVICES_DIR/clickhouse-data
CLICKHOUSE_PIDFILE=$CLICKHOUSE_DATA/clickhouse.pid
CLICKHOUSE_LOG=$CLICKHOUSE_DATA/clickhouse-server.log

say() { printf '%s\n' "$*"; }
die() { printf 'services.sh: %s\n' "$*" >&2; exit 1; }

# Print the end of a log to stderr, indented, so a failed start explains itself.
show_tail() {
	[[ -f $1 ]] || return 0
	printf '  --- last lines of %s ---\n' "$1" >&2
	tail -n "${2:-40}" "$1" | sed 's/^/  | /' >&2
}

# Whether something accepts TCP connections on 127.0.0.1:$1 (bash's /dev/tcp, so no
# netcat is needed; on loopback a closed port refuses at once).
port_open() {
	timeout 2 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null
}

# The pid in pidfile $1 if that process is alive and its command line contains $2.
# The command-line check keeps a stale pid file, whose pid the kernel has since
# reused for something else, from being taken for our server.
live_pid() {
	local pid
	[[ -f $1 ]] || return 1
	pid=$(<"$1")
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$2" || return 1
	printf '%s\n' "$pid"
}

# Run a command detached in its own session (so it outlives this script and the
# terminal), with stdin closed and output to a log, and write its pid to a file.
# The pid is written by the process itself just before exec: setsid forks when its
# caller leads a process group, and then $! would name the wrong process.
spawn() {
	local pidfile=$1 log=$2
	shift 2
	# shellcheck disable=SC2016 # $$ and $0 belong to the inner shell.
	setsid bash -c 'echo $$ >"$0"; exec "$@"' "$pidfile" "$@" </dev/null >>"$log" 2>&1 &
	# Give the inner shell a moment to write the pid file.
	local i
	for i in 1 2 3 4 5 6 7 8 9 10; do
		[[ -s $pidfile ]] && return 0
		sleep 0.1
	done
	[[ -s $pidfile ]]
}

# Stop the process group led by the pid in $1 (matching $3 on its command line):
# TERM, then KILL after $4 seconds. $2 names the service in messages.
stop_pidfile() {
	local pidfile=$1 name=$2 match=$3 grace=$4 pid i
	if ! pid=$(live_pid "$pidfile" "$match"); then
		rm -f "$pidfile"
		say "$name: not running (nothing started by this script)"
		return 0
	fi
	# Signal the whole group: spawn made the server a session leader, so the group
	# holds the server and nothing of ours.
	kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < grace * 4; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.25
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "$name: did not stop within ${grace}s; killing pid $pid"
		kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$pidfile"
	say "$name: stopped (pid $pid)"
}

# ---------------------------------------------------------------- Kafka

kafka_download() {
	if [[ -f $KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar ]]; then
		return 0
	fi
	command -v mvn >/dev/null || die "kafka: mvn not found; it is needed once, to fetch the Kafka jars"
	say "kafka: downloading jars for Kafka $KAFKA_VERSION from Maven Central (first run only)…"
	mkdir -p "$KAFKA_HOME"
	# A throwaway project whose dependencies are exactly what we run:
	#   kafka_2.13        the broker (kafka.Kafka) and kafka.tools.StorageTool;
	#   kafka-tools       TopicCommand for the readiness probe, plus the console
	#                     producer/consumer, handy when debugging tests;
	#   log4j-slf4j-impl  the logging binding, 4.x only (see KAFKA_LOG4J_VERSION).
	local binding=""
	if [[ ${KAFKA_VERSION%%.*} =~ ^[0-9]+$ ]] && ((${KAFKA_VERSION%%.*} >= 4)); then
		binding="
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>$KAFKA_LOG4J_VERSION</version>
    </dependency>"
	fi
	cat >"$KAFKA_HOME/pom.xml" <<EOF
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>local.wismo</groupId>
  <artifactId>kafka-dev-broker</artifactId>
  <version>1</version>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_2.13</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka-tools</artifactId>
      <version>$KAFKA_VERSION</version>
    </dependency>$binding
  </dependencies>
</project>
EOF
	# Copy into a scratch dir and rename it at the end, so an interrupted download
	# never leaves a half-filled libs dir that a later run would trust.
	local tmp=$KAFKA_HOME/libs.partial
	rm -rf "$tmp"
	if ! mvn -B -q -Dstyle.color=never -f "$KAFKA_HOME/pom.xml" dependency:copy-dependencies \
		-DincludeScope=runtime -DoutputDirectory="$tmp" >"$KAFKA_HOME/mvn.log" 2>&1; then
		show_tail "$KAFKA_HOME/mvn.log"
		die "kafka: Maven could not fetch Kafka $KAFKA_VERSION (is KAFKA_VERSION a released version?)"
	fi
	[[ -f $tmp/kafka_2.13-$KAFKA_VERSION.jar ]] || die "kafka: Maven finished but kafka_2.13-$KAFKA_VERSION.jar is missing from $tmp"
	rm -rf "$KAFKA_LIBS"
	mv "$tmp" "$KAFKA_LIBS"
	say "kafka: $(find "$KAFKA_LIBS" -name '*.jar' | wc -l) jars in $KAFKA_LIBS"
}

# Files shared by the broker and the command-line tools. Rewritten on every run:
# they are small and derive from the settings above, which may have changed.
kafka_write_tool_configs() {
	mkdir -p "$KAFKA_HOME"
	# The tools (StorageTool, TopicCommand) log only warnings, to stderr, which we
	# capture; otherwise StorageTool prints its whole configuration.
	cat >"$KAFKA_HOME/tools-log4j2.properties" <<'EOF'
status = warn
appender.err.type = Console
appender.err.name = err
appender.err.target = SYSTEM_ERR
appender.err.layout.type = PatternLayout
appender.err.layout.pattern = %p %m (%c)%n
rootLogger.level = warn
rootLogger.appenderRef.err.ref = err
EOF
	cat >"$KAFKA_HOME/tools-log4j.properties" <<'EOF'
log4j.rootLogger=WARN, err
log4j.appender.err=org.apache.log4j.ConsoleAppender
log4j.appender.err.Target=System.err
log4j.appender.err.layout=org.apache.log4j.PatternLayout
log4j.appender.err.layout.ConversionPattern=%p %m (%c)%n
EOF
	# Short client timeouts, so one probe against a broker that is still starting
	# fails within seconds and the wait loop can try again.
	cat >"$KAFKA_HOME/probe.properties" <<'EOF'
request.timeout.ms=3000
default.api.timeout.ms=5000
socket.connection.setup.timeout.ms=1000
socket.connection.setup.timeout.max.ms=1000
EOF
}

kafka_java() {
	local opts
	mapfile -t opts < <(kafka_log_opts "$KAFKA_HOME" tools)
	java "${opts[@]}" -cp "$KAFKA_LIBS/*" "$@"
}

# A real metadata request (list topics) through the Kafka admin client.
kafka_answers() {
	[[ -f $KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar ]] || return 1
	port_open "$KAFKA_PORT" || return 1
	[[ -f $KAFKA_HOME/probe.properties ]] || kafka_write_tool_configs
	mkdir -p "$KAFKA_DATA"
	local opts
	mapfile -t opts < <(kafka_log_opts "$KAFKA_HOME" tools)
	# timeout: a wedged JVM must not stall the wait loop (it cannot wrap kafka_java,
	# a shell function).
	timeout 20 java "${opts[@]}" -cp "$KAFKA_LIBS/*" \
		org.apache.kafka.tools.TopicCommand --bootstrap-server "127.0.0.1:$KAFKA_PORT" \
		--command-config "$KAFKA_HOME/probe.properties" --list >/dev/null 2>>"$KAFKA_DATA/probe.log"
}

kafka_write_broker_configs() {
	# Static quorum (controller.quorum.voters) rather than a dynamic one
	# (format --standalone): the formatted storage then records no controller
	# address, so changing KAFKA_CONTROLLER_PORT later needs no re-format.
	cat >"$KAFKA_DATA/server.properties" <<EOF
# Written by scripts/services.sh on every start; edits here are lost.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$KAFKA_LOG_DIRS
num.partitions=3
# One broker: every internal topic must make do with one replica, or consumer
# groups (__consumer_offsets) and transactions (__transaction_state) never work.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
# Tests start consumers and expect partitions at once, not after the default 3 s.
group.initial.rebalance.delay.ms=0
EOF
	# The broker logs at INFO to stdout, which spawn sends to broker.log.
	cat >"$KAFKA_DATA/broker-log4j2.properties" <<'EOF'
status = warn
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = info
rootLogger.appenderRef.out.ref = out
logger.request.name = kafka.request.logger
logger.request.level = warn
EOF
	cat >"$KAFKA_DATA/broker-log4j.properties" <<'EOF'
log4j.rootLogger=INFO, out
log4j.appender.out=org.apache.log4j.ConsoleAppender
log4j.appender.out.layout=org.apache.log4j.PatternLayout
log4j.appender.out.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
EOF
}

kafka_up() {
	local t0=$SECONDS pid
	mkdir -p "$KAFKA_DATA"
	if pid=$(live_pid "$KAFKA_PIDFILE" kafka.Kafka); then
		say "kafka: already running (pid $pid); checking that it answers"
	elif kafka_answers; then
		say "kafka: ready on 127.0.0.1:$KAFKA_PORT (a broker not started by this script; reusing it)"
		return 0
	else
		rm -f "$KAFKA_PIDFILE"
		command -v java >/dev/null || die "kafka: java not found (Kafka $KAFKA_VERSION needs Java 17 or later)"
		local port
		for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
			port_open "$port" && die "kafka: port 127.0.0.1:$port is taken by a process that is not a Kafka broker answering on $KAFKA_PORT; free it or set KAFKA_PORT / KAFKA_CONTROLLER_PORT"
		done
		kafka_download
		kafka_write_tool_configs
		kafka_write_broker_configs
		# Format only once: meta.properties marks formatted storage, and formatting
		# again would refuse (or, forced, would throw away topics and offsets).
		if [[ -f $KAFKA_LOG_DIRS/meta.properties ]]; then
			# Storage records the metadata version of the Kafka that formatted it, and
			# an older Kafka refuses it with a message buried in its log. Say so here.
			# (No record means storage formatted before this check existed: trust it.)
			local formatted_by=$KAFKA_VERSION
			[[ -f $KAFKA_DATA/formatted-by ]] && formatted_by=$(<"$KAFKA_DATA/formatted-by")
			if [[ $formatted_by != "$KAFKA_VERSION" ]]; then
				die "kafka: $KAFKA_LOG_DIRS was formatted by Kafka $formatted_by, not $KAFKA_VERSION; remove $KAFKA_DATA (its topics are lost) or choose another WISMO_SERVICES_DIR"
			fi
			say "kafka: reusing formatted storage in $KAFKA_LOG_DIRS"
		else
			local cluster_id out
			cluster_id=$(kafka_java kafka.tools.StorageTool random-uuid 2>/dev/null) ||
				die "kafka: StorageTool random-uuid failed"
			if ! out=$(kafka_java kafka.tools.StorageTool format -t "$cluster_id" \
				-c "$KAFKA_DATA/server.properties" 2>&1); then
				printf '%s\n' "$out" | sed 's/^/  | /' >&2
				die "kafka: formatting $KAFKA_LOG_DIRS failed"
			fi
			printf '%s\n' "$KAFKA_VERSION" >"$KAFKA_DATA/formatted-by"
			say "kafka: formatted storage in $KAFKA_LOG_DIRS (cluster id $cluster_id)"
		fi
		# Keep the previous run's log for post-mortems; start the new one empty.
		[[ -f $KAFKA_LOG ]] && mv -f "$KAFKA_LOG" "$KAFKA_LOG.prev"
		: >"$KAFKA_DATA/probe.log"
		local opts
		mapfile -t opts < <(kafka_log_opts "$KAFKA_DATA" broker)
		# shellcheck disable=SC2086 # KAFKA_HEAP_OPTS is a list of JVM options.
		spawn "$KAFKA_PIDFILE" "$KAFKA_LOG" java $KAFKA_HEAP_OPTS "${opts[@]}" \
			-cp "$KAFKA_LIBS/*" kafka.Kafka "$KAFKA_DATA/server.properties" ||
			die "kafka: could not start java"
		pid=$(<"$KAFKA_PIDFILE")
		say "kafka: starting Kafka $KAFKA_VERSION (pid $pid, log $KAFKA_LOG)…"
	fi
	while ! kafka_answers; do
		if ! kill -0 "$pid" 2>/dev/null; then
			show_tail "$KAFKA_LOG"
			rm -f "$KAFKA_PIDFILE"
			die "kafka: broker exited during start-up (log above)"
		fi
		if ((SECONDS - t0 >= KAFKA_START_TIMEOUT)); then
			show_tail "$KAFKA_LOG"
			show_tail "$KAFKA_DATA/probe.log" 5
			die "kafka: no answer on 127.0.0.1:$KAFKA_PORT after ${KAFKA_START_TIMEOUT}s (pid $pid still running; 'scripts/services.sh down kafka' stops it)"
		fi
		sleep 1
	done
	say "kafka: ready on 127.0.0.1:$KAFKA_PORT after $((SECONDS - t0))s"
}

kafka_down() { stop_pidfile "$KAFKA_PIDFILE" kafka kafka.Kafka 60; }

kafka_status() {
	local pid note=""
	if pid=$(live_pid "$KAFKA_PIDFILE" kafka.Kafka); then
		note=" (pid $pid, Kafka $KAFKA_VERSION)"
	fi
	if kafka_answers; then
		say "kafka: up on 127.0.0.1:$KAFKA_PORT${note:- (not started by this script)}"
	elif [[ -n $note ]]; then
		say "kafka: NOT answering on 127.0.0.1:$KAFKA_PORT, though its process runs$note; see $KAFKA_LOG"
		return 1
	elif port_open "$KAFKA_PORT" && [[ ! -f $KAFKA_LIBS/kafka_2.13-$KAFKA_VERSION.jar ]]; then
		say "kafka: port 127.0.0.1:$KAFKA_PORT is open, but the Kafka jars are not downloaded yet, so no metadata request was tried"
		return 1
	else
		say "kafka: down (nothing answers on 127.0.0.1:$KAFKA_PORT)"
		return 1
	fi
}

# ---------------------------------------------------------------- ClickHouse

clickhouse_query() {
	curl -sf --max-time 3 "http://127.0.0.1:$CLICKHOUSE_HTTP_PORT/?query=$1"
}

clickhouse_answers() {
	[[ $(clickhouse_query 'SELECT%201' 2>/dev/null) == 1 ]]
}

# apt_install SERVICE WHY PACKAGE...: installs Debian packages (as root, or
# with sudo), showing apt-get's output only when it fails.
apt_install() {
	local svc=$1 why=$2
	shift 2
	local sudo=()
	if ((EUID != 0)); then
		command -v sudo >/dev/null || die "$svc: $why, and installing it needs root (or sudo)"
		sudo=(sudo)
	fi
	say "$svc: installing $* with apt-get (first run only)…"
	local log
	log=$(mktemp)
	if ! { "${sudo[@]}" apt-get update &&
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y "$@"; } >"$log" 2>&1; then
		show_tail "$log"
		rm -f "$log"
		die "$svc: apt-get could not install $*"
	fi
	rm -f "$log"
}

clickhouse_install() {
	command -v clickhouse-server >/dev/null && return 0
	apt_install clickhouse "clickhouse-server is not installed" clickhouse-server clickhouse-client
	command -v clickhouse-server >/dev/null || die "clickhouse: apt-get succeeded but clickhouse-server is not on PATH"
}

clickhouse_up() {
	local t0=$SECONDS pid
	command -v curl >/dev/null || die "clickhouse: curl not found (used to check that ClickHouse answers)"
	if pid=$(live_pid "$CLICKHOUSE_PIDFILE" clickhouse-server); then
		say "clickhouse: already running (pid $pid); checking that it answers"
	elif clickhouse_answers; then
		say "clickhouse: ready on 127.0.0.1:$CLICKHOUSE_HTTP_PORT (a server not started by this script; reusing it)"
		return 0
	else
		rm -f "$CLICKHOUSE_PIDFILE"
		local port
		for port in "$CLICKHOUSE_TCP_PORT" "$CLICKHOUSE_HTTP_PORT" "$CLICKHOUSE_INTERSERVER_PORT"; do
			port_open "$port" && die "clickhouse: port 127.0.0.1:$port is taken by a process that is not ClickHouse answering on $CLICKHOUSE_HTTP_PORT; free it or set CLICKHOUSE_TCP_PORT / CLICKHOUSE_HTTP_PORT / CLICKHOUSE_INTERSERVER_PORT"
		done
		clickhouse_install
		mkdir -p "$CLICKHOUSE_DATA"
		[[ -f $CLICKHOUSE_LOG ]] && mv -f "$CLICKHOUSE_LOG" "$CLICKHOUSE_LOG.prev"
		# The packaged config points every path at /var/lib/clickhouse and the logs
		# at /var/log/clickhouse-server; override them all so that the data dir holds
		# everything. Options after "--" override config.xml keys. The package's
		# init script does not run under this machine's init, hence the manual start.
		# The server runs from the data dir: relative paths it may use land there.
		(
			cd "$CLICKHOUSE_DATA"
			spawn "$CLICKHOUSE_PIDFILE" "$CLICKHOUSE_DATA/stdout.log" \
				clickhouse-server --config-file=/etc/clickhouse-server/config.xml -- \
				--path="$CLICKHOUSE_DATA/" \
				--tmp_path="$CLICKHOUSE_DATA/tmp/" \
				--user_files_path="$CLICKHOUSE_DATA/user_files/" \
				--format_schema_path="$CLICKHOUSE_DATA/format_schemas/" \
				--listen_host=127.0.0.1 \
				--tcp_port="$CLICKHOUSE_TCP_PORT" \
				--http_port="$CLICKHOUSE_HTTP_PORT" \
				--interserver_http_port="$CLICKHOUSE_INTERSERVER_PORT" \
				--logger.log="$CLICKHOUSE_LOG" \
				--logger.errorlog="$CLICKHOUSE_DATA/clickhouse-server.err.log" \
				--logger.level=information
		) || die "clickhouse: could not start clickhouse-server"
		pid=$(<"$CLICKHOUSE_PIDFILE")
		say "clickhouse: starting clickhouse-server (pid $pid, log $CLICKHOUSE_LOG)…"
	fi
	while ! clickhouse_answers; do
		if ! kill -0 "$pid" 2>/dev/null; then
			show_tail "$CLICKHOUSE_DATA/stdout.log" 10
			show_tail "$CLICKHOUSE_LOG"
			rm -f "$CLICKHOUSE_PIDFILE"
			die "clickhouse: server exited during start-up (log above)"
		fi
		if ((SECONDS - t0 >= CLICKHOUSE_START_TIMEOUT)); then
			show_tail "$CLICKHOUSE_LOG"
			die "clickhouse: no answer on http://127.0.0.1:$CLICKHOUSE_HTTP_PORT after ${CLICKHOUSE_START_TIMEOUT}s (pid $pid still running; 'scripts/services.sh down clickhouse' stops it)"
		fi
		sleep 0.5
	done
	say "clickhouse: ready on 127.0.0.1:$CLICKHOUSE_TCP_PORT (native) and :$CLICKHOUSE_HTTP_PORT (HTTP), version $(clickhouse_query 'SELECT%20version()'), after $((SECONDS - t0))s"
}

clickhouse_down() { stop_pidfile "$CLICKHOUSE_PIDFILE" clickhouse clickhouse-server 30; }

clickhouse_status() {
	local pid note=""
	if pid=$(live_pid "$CLICKHOUSE_PIDFILE" clickhouse-server); then
		note=" (pid $pid)"
	fi
	if clickhouse_answers; then
		say "clickhouse: up on 127.0.0.1:$CLICKHOUSE_TCP_PORT, HTTP :$CLICKHOUSE_HTTP_PORT, version $(clickhouse_query 'SELECT%20version()')${note:- (not started by this script)}"
	elif [[ -n $note ]]; then
		say "clickhouse: NOT answering on http://127.0.0.1:$CLICKHOUSE_HTTP_PORT, though its process runs$note; see $CLICKHOUSE_LOG"
		return 1
	else
		say "clickhouse: down (nothing answers on http://127.0.0.1:$CLICKHOUSE_HTTP_PORT)"
		return 1
	fi
}

# ---------------------------------------------------------------- chdb

# chdb is a Python package, not a server: "up" installs it when the interpreter
# cannot import it, "down" has nothing to stop.
CHDB_PYTHON=${WISMO_PYTHON:-python3}

chdb_version() {
	"$CHDB_PYTHON" -c 'import chdb; print(chdb.__version__, "(ClickHouse", chdb.query("SELECT version()", "TSV").bytes().decode().strip() + ")")' 2>/dev/null
}

chdb_up() {
	local v
	if v=$(chdb_version); then
		say "chdb: ready, $v"
		return 0
	fi
	command -v "$CHDB_PYTHON" >/dev/null || die "chdb: $CHDB_PYTHON not found (set WISMO_PYTHON)"
	say "chdb: installing the chdb package with pip (first run only)…"
	local log
	log=$(mktemp)
	# An externally managed system Python (PEP 668) refuses a plain install;
	# fall back to the user's site-packages.
	if ! "$CHDB_PYTHON" -m pip install --quiet chdb >"$log" 2>&1 &&
		! "$CHDB_PYTHON" -m pip install --quiet --user --break-system-packages chdb >>"$log" 2>&1; then
		show_tail "$log"
		rm -f "$log"
		die "chdb: pip could not install chdb"
	fi
	rm -f "$log"
	v=$(chdb_version) || die "chdb: pip installed chdb but $CHDB_PYTHON cannot import it"
	say "chdb: ready, $v"
}

chdb_down() { say "chdb: nothing to stop (a Python package)"; }

chdb_status() {
	local v
	if v=$(chdb_version); then
		say "chdb: installed for $CHDB_PYTHON, $v"
	else
		say "chdb: not installed for $CHDB_PYTHON ('scripts/services.sh up chdb' installs it)"
		return 1
	fi
}

# ---------------------------------------------------------------- chromium

CHROMIUM=${WISMO_CHROMIUM:-/usr/bin/chromium}

chromium_up() {
	if [[ -x $CHROMIUM ]]; then
		say "chromium: installed, $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
		return 0
	fi
	apt_install chromium "$CHROMIUM is missing" --no-install-recommends chromium
	[[ -x $CHROMIUM ]] || die "chromium: apt-get succeeded but $CHROMIUM is missing (set WISMO_CHROMIUM)"
	say "chromium: installed, $("$CHROMIUM" --version 2>/dev/null)"
}

chromium_down() { say "chromium: nothing to stop (the browser test starts and stops its own)"; }

chromium_status() {
	if [[ -x $CHROMIUM ]]; then
		say "chromium: installed at $CHROMIUM"
	else
		say "chromium: not installed ('scripts/services.sh up chromium' installs it)"
		return 1
	fi
}

# ---------------------------------------------------------------- main

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0" >&2
	exit 2
}

main() {
	local cmd=${1:-up}
	if (($# > 0)); then shift; fi
	case $cmd in
	up | down | status) ;;
	-h | --help | help) usage ;;
	*) printf 'services.sh: unknown command %q\n\n' "$cmd" >&2 && usage ;;
	esac
	local services=("$@") s
	((${#services[@]} > 0)) || services=(kafka clickhouse chdb chromium)
	for s in "${services[@]}"; do
		case $s in
		kafka | clickhouse | chdb | chromium) ;;
		*) die "unknown service '$s' (expected kafka, clickhouse, chdb or chromium)" ;;
		esac
	done

	local rc=0
	case $cmd in
	up)
		for s in "${services[@]}"; do "${s}_up"; done
		say ""
		for s in "${services[@]}"; do
			case $s in
			kafka) say "export WISMO_KAFKA_BROKERS=127.0.0.1:$KAFKA_PORT" ;;
			clickhouse) say "export WISMO_CLICKHOUSE_ADDR=127.0.0.1:$CLICKHOUSE_TCP_PORT" ;;
			esac
		done
		;;
	down)
		for s in "${services[@]}"; do "${s}_down"; done
		;;
	status)
		for s in "${services[@]}"; do "${s}_status" || rc=1; done
		;;
	esac
	return "$rc"
}

main "$@"
