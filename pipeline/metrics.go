package pipeline

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Metrics are the Prometheus series every stage exports. One Metrics serves
// all stages of a process; the stage is a label.
type Metrics struct {
	Registry   *prometheus.Registry
	In         *prometheus.CounterVec
	Out        *prometheus.CounterVec
	Produced   *prometheus.CounterVec
	DeadLetter *prometheus.CounterVec
	Partial    *prometheus.CounterVec
	Unmapped   *prometheus.CounterVec
	AssumedUTC *prometheus.CounterVec
	TxnSeconds *prometheus.HistogramVec
	Lag        *prometheus.GaugeVec
	Assigned   *prometheus.GaugeVec

	// detect stage
	Commands  *prometheus.CounterVec // notification commands, by trigger
	Synthetic *prometheus.CounterVec // pipeline events (stalls, expiry), by type
	Resent    *prometheus.CounterVec // scans left out because an earlier record sent them, by carrier
	Tracked   prometheus.Gauge       // shipments in this instance's state
	Restored  prometheus.Counter     // changelog records read on assignment

	// lane model (pipeline/lanestage)
	LanesKnown       *prometheus.GaugeVec   // lanes held, by role (stage: learned; table: detect's copy)
	LaneObservations *prometheus.CounterVec // observations, by direction (written by detect, learned by the lane stage)
	LanePublishes    prometheus.Counter     // lane models written to the lanes topic, committed
	LaneTableRecords prometheus.Counter     // lanes topic records the detect stage's table has read
	LaneUnreadable   *prometheus.CounterVec // lanes topic records left out because they do not decode, by role
}

// NewMetrics registers the series in a new registry (plus the Go and
// process collectors).
func NewMetrics() *Metrics {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "wismo", Name: name, Help: help}, labels)
		r.MustRegister(c)
		return c
	}
	m := &Metrics{
		Registry:   r,
		In:         f("records_in_total", "Input records in committed transactions.", "stage", "carrier"),
		Out:        f("records_out_total", "Input records that produced output, in committed transactions.", "stage", "carrier"),
		Produced:   f("records_produced_total", "Output records produced in committed transactions (dead letters excluded).", "stage", "carrier"),
		DeadLetter: f("records_deadlettered_total", "Input records sent to the dead-letter topic, by error kind.", "stage", "carrier", "kind"),
		Partial:    f("records_partially_rejected_total", "Partial dead letters: records whose other parts went out, one per record and kind of the parts (single scans) rejected.", "stage", "carrier", "kind"),
		Unmapped:   f("unmapped_codes_total", "Scans whose carrier code is not in the carrier's table.", "carrier", "code"),
		AssumedUTC: f("assumed_utc_total", "Scans whose time zone was unknown and taken as UTC.", "carrier"),
		TxnSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Namespace: "wismo", Name: "transaction_seconds",
			Help: "Time from a batch's first record to its transaction's end.", Buckets: prometheus.ExponentialBuckets(0.002, 2, 14)},
			[]string{"stage", "outcome"}),
		Lag: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "wismo", Name: "consumer_lag",
			Help: "Records behind the end of each input partition, as last measured."}, []string{"stage", "topic", "partition"}),
		Assigned: prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "wismo", Name: "assigned_partitions",
			Help: "Input partitions this instance owns."}, []string{"stage"}),
		Commands:  f("notification_commands_total", "Notification commands in committed transactions, by trigger.", "trigger"),
		Synthetic: f("synthetic_events_total", "Events the detect stage made (stalls, expiry) in committed transactions, by type.", "event_type"),
		Resent:    f("resent_scans_total", "Scans the normalize stage left out because an earlier raw record already sent them (pollers resend whole histories).", "carrier"),
		Tracked: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "wismo", Name: "tracked_shipments",
			Help: "Shipments whose state this instance holds."}),
		Restored: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "wismo", Name: "state_restored_records_total",
			Help: "Changelog records read to restore the state of assigned partitions."}),
	}
	m.LanesKnown = prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: "wismo", Name: "lanes_known",
		Help: "Lanes held: by the lane stage (role stage) and by the detect stage's copy of the lanes topic (role table)."}, []string{"role"})
	m.LaneObservations = f("lane_observations_total", "Lane observations in committed transactions: written by the detect stage (direction out), learned by the lane stage (direction in).", "direction")
	m.LanePublishes = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "wismo", Name: "lane_publishes_total",
		Help: "Lane models the lane stage wrote to the lanes topic in committed transactions."})
	m.LaneTableRecords = prometheus.NewCounter(prometheus.CounterOpts{Namespace: "wismo", Name: "lane_table_records_total",
		Help: "Lanes topic records the detect stage's table has read."})
	m.LaneUnreadable = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "wismo", Name: "lane_records_unreadable_total",
		Help: "Lanes topic records left out because they do not decode: by the lane stage's restore (role stage) and the detect stage's table (role table). The lane learns again from its next observations."}, []string{"role"})
	r.MustRegister(m.TxnSeconds, m.Lag, m.Assigned, m.Tracked, m.Restored, m.LanesKnown, m.LanePublishes, m.LaneTableRecords, m.LaneUnreadable)
	return m
}
