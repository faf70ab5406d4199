package chsink

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the sink's Prometheus series (namespace wismo_sink).
type Metrics struct {
	Records        *prometheus.CounterVec   // records read and stored, by topic and outcome
	Rows           *prometheus.CounterVec   // rows inserted, by table
	InsertErrors   *prometheus.CounterVec   // failed inserts, by table
	InsertSeconds  *prometheus.HistogramVec // insert latency, by table
	Buffered       prometheus.Gauge         // rows waiting for the next insert
	Commits        prometheus.Counter       // offset commits after an insert
	CommitErrors   prometheus.Counter
	DeadLetterErrs prometheus.Counter // failed dead-letter produce attempts
	Up             prometheus.Gauge   // 1 while the last insert or ping succeeded
	Backoff        prometheus.Gauge   // seconds of the current retry backoff; 0 when healthy
}

// NewMetrics makes the series and registers them with reg (nil: not
// registered). Series another stage already registered with reg are shared.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "wismo", Subsystem: "sink", Name: "records_total",
			Help: "Kafka records the sink stored, by topic and outcome (inserted, dead_lettered).",
		}, []string{"topic", "outcome"}),
		Rows: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "wismo", Subsystem: "sink", Name: "rows_inserted_total",
			Help: "Rows inserted into ClickHouse, by table.",
		}, []string{"table"}),
		InsertErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "wismo", Subsystem: "sink", Name: "insert_errors_total",
			Help: "Failed ClickHouse inserts, by table (each is retried).",
		}, []string{"table"}),
		InsertSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "wismo", Subsystem: "sink", Name: "insert_seconds",
			Help:    "ClickHouse insert latency, by table.",
			Buckets: prometheus.ExponentialBuckets(0.005, 2, 14),
		}, []string{"table"}),
		Buffered: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "wismo", Subsystem: "sink", Name: "buffered_rows",
			Help: "Rows decoded and waiting for the next insert.",
		}),
		Commits: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "wismo", Subsystem: "sink", Name: "commits_total",
			Help: "Offset commits, each after a successful insert.",
		}),
		CommitErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "wismo", Subsystem: "sink", Name: "commit_errors_total",
			Help: "Failed offset commits (the rows are stored; the records will be read and inserted again, which the schema absorbs).",
		}),
		DeadLetterErrs: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: "wismo", Subsystem: "sink", Name: "deadletter_errors_total",
			Help: "Failed attempts to produce dead letters (retried).",
		}),
		Up: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "wismo", Subsystem: "sink", Name: "clickhouse_up",
			Help: "1 while the last insert or ping of ClickHouse succeeded.",
		}),
		Backoff: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: "wismo", Subsystem: "sink", Name: "backoff_seconds",
			Help: "Current wait before retrying a failed batch; 0 when healthy.",
		}),
	}
	if reg != nil {
		m.Records = register(reg, m.Records)
		m.Rows = register(reg, m.Rows)
		m.InsertErrors = register(reg, m.InsertErrors)
		m.InsertSeconds = register(reg, m.InsertSeconds)
		m.Buffered = register(reg, m.Buffered)
		m.Commits = register(reg, m.Commits)
		m.CommitErrors = register(reg, m.CommitErrors)
		m.DeadLetterErrs = register(reg, m.DeadLetterErrs)
		m.Up = register(reg, m.Up)
		m.Backoff = register(reg, m.Backoff)
	}
	return m
}

// register registers c, or returns the collector already registered in its
// place.
func register[C prometheus.Collector](reg prometheus.Registerer, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(C); ok {
				return existing
			}
		}
		panic(err)
	}
	return c
}

func (m *Metrics) observeInsert(table string, rows int, took time.Duration, err error) {
	if err != nil {
		m.InsertErrors.WithLabelValues(table).Inc()
		return
	}
	m.Rows.WithLabelValues(table).Add(float64(rows))
	m.InsertSeconds.WithLabelValues(table).Observe(took.Seconds())
}
