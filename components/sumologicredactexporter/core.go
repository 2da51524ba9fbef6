package sumologicredactexporter

import (
	"fmt"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// redactingCore passes entries to the collector's core with the secrets
// taken out of the message and of every field, whatever its type: contrib's
// exporter logs its data URLs ("setting data urls", info), and the
// exporterhelper logs the errors of failed sends, whose text holds the URL
// (`Post "https://.../receiver/v1/http/<token>": ...`).
type redactingCore struct {
	zapcore.Core
	r *redactor
}

func wrapLogger(l *zap.Logger, r *redactor) *zap.Logger {
	return l.WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core { return &redactingCore{Core: c, r: r} }))
}

func (c *redactingCore) With(fields []zapcore.Field) zapcore.Core {
	return &redactingCore{Core: c.Core.With(c.fields(fields)), r: c.r}
}

// Check adds c when the wrapped core takes the entry's level at all; which
// of its cores write it, and sampling, are decided in Write, once the
// entry is redacted.
func (c *redactingCore) Check(e zapcore.Entry, ce *zapcore.CheckedEntry) *zapcore.CheckedEntry {
	if !c.Core.Enabled(e.Level) {
		return ce
	}
	return ce.AddCore(e, c)
}

// Write redacts the entry, then lets the wrapped core Check it: a tee (the
// collector's core plus otelzap's when telemetry.logs.processors is set)
// adds only its cores whose level takes the entry, where its Write would
// write to every one; a sampler counts the entry once, here. Errors of the
// cores go to the logger's ErrorOutput, as zap's own Write does.
func (c *redactingCore) Write(e zapcore.Entry, fields []zapcore.Field) error {
	e.Message = c.r.String(e.Message)
	if ce := c.Core.Check(e, nil); ce != nil {
		ce.Write(c.fields(fields)...)
	}
	return nil
}

// fields returns fields with each one that shows a secret replaced by a
// string field of the same key: errors keep their chain (redactedError),
// strings are rewritten, and any other type is rendered and rewritten only
// when its rendering holds a secret.
func (c *redactingCore) fields(fields []zapcore.Field) []zapcore.Field {
	var out []zapcore.Field
	for i, f := range fields {
		g, changed := c.field(f)
		if !changed {
			if out != nil {
				out = append(out, f)
			}
			continue
		}
		if out == nil {
			out = append(make([]zapcore.Field, 0, len(fields)), fields[:i]...)
		}
		out = append(out, g)
	}
	if out == nil {
		return fields
	}
	return out
}

func (c *redactingCore) field(f zapcore.Field) (zapcore.Field, bool) {
	switch f.Type {
	case zapcore.StringType:
		if s := c.r.String(f.String); s != f.String {
			f.String = s
			return f, true
		}
		return f, false
	case zapcore.ErrorType:
		if err, ok := f.Interface.(error); ok {
			if red := c.r.Error(err); red != err {
				f.Interface = red
				return f, true
			}
		}
		return f, false
	case zapcore.BoolType, zapcore.DurationType, zapcore.Float64Type, zapcore.Float32Type,
		zapcore.Int64Type, zapcore.Int32Type, zapcore.Int16Type, zapcore.Int8Type,
		zapcore.Uint64Type, zapcore.Uint32Type, zapcore.Uint16Type, zapcore.Uint8Type,
		zapcore.UintptrType, zapcore.TimeType, zapcore.TimeFullType, zapcore.SkipType:
		return f, false
	}
	enc := zapcore.NewMapObjectEncoder()
	f.AddTo(enc)
	rendered := fmt.Sprint(enc.Fields)
	if red := c.r.String(rendered); red != rendered {
		return zap.String(f.Key, red), true
	}
	return f, false
}
