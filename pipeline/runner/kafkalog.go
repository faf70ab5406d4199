package runner

import (
	"github.com/twmb/franz-go/pkg/kgo"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// kafkaLogger passes franz-go's own log lines (rebalances, transaction
// aborts and why, retries) to zap, under the "kafka" name. franz-go logs at
// info level on every rebalance and transaction decision, so those lines
// are kept for log.level debug; otherwise only its warnings and errors.
type kafkaLogger struct{ log *zap.Logger }

func (l kafkaLogger) Level() kgo.LogLevel {
	if l.log.Core().Enabled(zapcore.DebugLevel) {
		return kgo.LogLevelInfo
	}
	return kgo.LogLevelWarn
}

func (l kafkaLogger) Log(level kgo.LogLevel, msg string, keyvals ...any) {
	fields := make([]zap.Field, 0, len(keyvals)/2)
	for i := 0; i+1 < len(keyvals); i += 2 {
		k, _ := keyvals[i].(string)
		fields = append(fields, zap.Any(k, keyvals[i+1]))
	}
	switch level {
	case kgo.LogLevelError:
		l.log.Error(msg, fields...)
	case kgo.LogLevelWarn:
		l.log.Warn(msg, fields...)
	case kgo.LogLevelInfo:
		l.log.Info(msg, fields...)
	default:
		l.log.Debug(msg, fields...)
	}
}
