package cli

import (
	"fmt"

	"github.com/ony-dev/ony-tui/engine/device"
)

// deviceDetail is the devices table's last column: where a YubiKey's key
// lives.
func deviceDetail(d device.Device) string {
	y := d.YubiKey
	if y == nil {
		return ""
	}
	return fmt.Sprintf("serial %d slot %s fw %s PIN %s touch %s", y.Serial, y.Slot, y.Firmware, y.PINPolicy, y.TouchPolicy)
}
