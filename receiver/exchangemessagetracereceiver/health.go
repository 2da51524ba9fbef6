package exchangemessagetracereceiver

import (
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.uber.org/zap"

	"github.com/otelcol-messagetrace/otelcol-messagetrace/receiver/exchangemessagetracereceiver/internal/msgtrace"
)

// statusReporter turns poll outcomes into component status events and logs
// failures with what the operator should do. OK is reported on the first
// successful poll and on recovery; every failed poll reports its error, so
// the status always carries the newest cause.
type statusReporter struct {
	host     component.Host
	logger   *zap.Logger
	failed   bool
	reported bool // OK or an error has been reported at least once
}

func (s *statusReporter) report(err error) {
	if err == nil {
		if s.failed || !s.reported {
			componentstatus.ReportStatus(s.host, componentstatus.NewEvent(componentstatus.StatusOK))
			if s.failed {
				s.logger.Info("message trace collection recovered")
			}
		}
		s.failed, s.reported = false, true
		return
	}
	if isOperatorError(err) {
		s.logger.Error("message trace collection needs attention; retrying every poll_interval", zap.Error(err))
	} else {
		s.logger.Warn("message trace poll failed; the cursor did not move and the next poll resumes where it stopped", zap.Error(err))
	}
	componentstatus.ReportStatus(s.host, componentstatus.NewRecoverableErrorEvent(err))
	s.failed, s.reported = true, true
}

// isOperatorError tells failures that need the operator (credentials,
// permissions) from those that heal by themselves.
func isOperatorError(err error) bool {
	kind, ok := msgtrace.KindOf(err)
	return ok && (kind == msgtrace.KindAuth || kind == msgtrace.KindPermission || kind == msgtrace.KindBadRequest)
}
