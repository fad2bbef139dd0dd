#!/usr/bin/env bash
# kafka-run-class.sh CLASS [ARGS]: java with every jar in /opt/kafka/libs (the stand-in's launcher;
# honours KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_OPTS and KAFKA_LOG4J_OPTS as upstream).
set -euo pipefail
base=/opt/kafka
class=$1; shift
# shellcheck disable=SC2086  # the *_OPTS variables are lists of JVM flags
exec java ${KAFKA_HEAP_OPTS:--Xmx256M} \
  ${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExplicitGCInvokesConcurrent -Djava.awt.headless=true} \
  ${KAFKA_LOG4J_OPTS:--Dlog4j.configuration=file:$base/config/tools-log4j.properties} ${KAFKA_OPTS:-} \
  -cp "$base/libs/*" "$class" "$@"
