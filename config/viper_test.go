package config

import (
	"testing"
)

// The environment is a layer over the file: a variable replaces the
// file's value before it is parsed, so a bad file value it overrides is
// not an error, and an error names the layer the value came from.
func TestLayerOfBadValue(t *testing.T) {
	file := writeFile(t, "wismo.yaml", "raw: [{topic: raw.ups, carrier: ups}]\ntopics:\n  replication_factor: 70000\n")
	c, err := Load(flags(t, "--config", file), []string{"WISMO_TOPICS_REPLICATION_FACTOR=3"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Topics.ReplicationFactor != 3 {
		t.Errorf("replication factor %d, want the environment's 3", c.Topics.ReplicationFactor)
	}
	file = writeFile(t, "wismo.yaml", "raw: [{topic: raw.ups, carrier: ups}]\nkafka: 5\n")
	_, err = Load(flags(t, "--config", file), nil)
	wantErr(t, err, file+":2:8: kafka", "expected a map")
	file = writeFile(t, "wismo.yaml", "raw: [{topic: raw.ups, carrier: ups}]\nclickhouse:\n  batch_age: 5\n  migrate: yes\n")
	_, err = Load(flags(t, "--config", file), []string{"WISMO_HTTP_PPROF=on"})
	wantErr(t, err, file+":3:14: clickhouse.batch_age", "not a duration", file+":4:12: clickhouse.migrate", `"yes" is not a boolean`, `WISMO_HTTP_PPROF: "on"`)
}

// Every unknown key and bad value of the file is reported at once, each at
// its own place, not only the first that mapstructure met.
func TestAllFileErrorsReported(t *testing.T) {
	file := writeFile(t, "wismo.yaml", "raw: [{topic: raw.ups, carrier: ups}]\nkafka:\n  brokerz: [a:1]\ntopics:\n  partitons: 3\n  create: maybe\n")
	_, err := Load(flags(t, "--config", file), nil)
	wantErr(t, err, file+":3:3:", `unknown setting "kafka.brokerz"`, `did you mean "brokers"?`,
		file+":5:3:", `unknown setting "topics.partitons"`, `did you mean "partitions"?`,
		file+":6:11: topics.create", `"maybe" is not a boolean`)
}

// Keys are lower case, as the strict loader had them; viper alone would
// fold "Kafka" into kafka.
func TestFileKeyCase(t *testing.T) {
	file := writeFile(t, "wismo.yaml", "raw: [{topic: raw.ups, carrier: ups}]\nKafka:\n  client_id: x\n")
	_, err := Load(flags(t, "--config", file), nil)
	wantErr(t, err, file+":2:1:", `unknown setting "Kafka"`, `did you mean "kafka"?`)
}
