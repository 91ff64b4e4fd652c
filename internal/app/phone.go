package app

import (
	"github.com/ony-dev/ony-tui/engine/phone"
)

// startPhone runs the phone service. It runs whether or not a phone is
// enrolled: it reads the enrolment again every few seconds, so `ony-tui
// enroll phone` (or a revocation) takes effect without a restart.
func (a *App) startPhone(o Options) {
	a.Phone = phone.Start(phone.Options{Engine: a.Engine, Journal: a.Journal, Devices: a.Devices,
		KeysDir: a.Layout.KeysDir, Config: a.Config.Phone, Now: o.Now, Logf: o.Logf})
}

// stopPhone ends the phone service; a call in progress is told and hung
// up.
func (a *App) stopPhone() {
	if a.Phone != nil {
		a.Phone.Stop()
		a.Phone = nil
	}
}
