package totp

import (
	"fmt"
	"strings"

	"github.com/boombuler/barcode/qr"
)

// quiet is the quiet zone around the code, in modules. The standard asks for
// 4; 2 keeps the code inside an 80x24 terminal and phone scanners read it.
const quiet = 2

// QR draws text as a QR code with Unicode half blocks, two module rows per
// text line, dark modules as blocks. With colour it paints black on white so
// the code scans whatever the terminal's own colours are; without colour
// (NO_COLOR) it relies on the terminal's contrast.
func QR(text string, color bool) (string, error) {
	code, err := qr.Encode(text, qr.L, qr.Auto)
	if err != nil {
		return "", fmt.Errorf("drawing qr code: %w", err)
	}
	b := code.Bounds()
	n := b.Dx()
	dark := func(x, y int) bool {
		x, y = x-quiet, y-quiet
		if x < 0 || y < 0 || x >= n || y >= n {
			return false
		}
		r, _, _, _ := code.At(b.Min.X+x, b.Min.Y+y).RGBA()
		return r < 0x8000
	}
	size := n + 2*quiet
	var sb strings.Builder
	for y := 0; y < size; y += 2 {
		if color {
			sb.WriteString("\x1b[30;47m") // black on white
		}
		for x := 0; x < size; x++ {
			top, bottom := dark(x, y), y+1 < size && dark(x, y+1)
			switch {
			case top && bottom:
				sb.WriteRune('█')
			case top:
				sb.WriteRune('▀')
			case bottom:
				sb.WriteRune('▄')
			default:
				sb.WriteRune(' ')
			}
		}
		if color {
			sb.WriteString("\x1b[0m")
		}
		sb.WriteByte('\n')
	}
	return sb.String(), nil
}
