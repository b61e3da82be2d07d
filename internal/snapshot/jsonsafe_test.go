package snapshot

import (
	"bytes"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/opsdeck/opsdeck/sources"
)

// TestJSONOfOddFigures: inf and nan in Redis INFO and a save time in year
// 3170843 become null with a reason; every other field is as before.
func TestJSONOfOddFigures(t *testing.T) {
	d := sample()
	plain, err := d.JSON()
	if err != nil {
		t.Fatal(err)
	}
	// The safe encoder writes what encoding/json writes when all is well.
	same, err := encodeSafe(d)
	if err != nil || !bytes.Equal(plain, same) {
		t.Fatalf("the safe encoder differs:\n%s\n---\n%s", plain, same)
	}
	if d.Redis.CacheState == nil {
		d.Redis.CacheState = &sources.CacheState{}
	}
	d.Redis.Fragmentation = math.Inf(1)
	d.Redis.OpsPerSec = math.NaN()
	d.Redis.Persistence.RDBLastSave = time.Unix(99999999999999, 0)
	out, err := d.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(out, &doc); err != nil {
		t.Fatal(err)
	}
	r := doc["redis"].(map[string]any)
	if r["fragmentation_ratio"] != nil || r["ops_per_sec"] != nil || r["persistence"].(map[string]any)["rdb_last_save_time"] != nil {
		t.Errorf("odd figures not null: %v", r)
	}
	if doc["environment"] != d.Environment || r["version"] == nil || doc["metrics"] == nil {
		t.Errorf("the rest of the document is lost:\n%s", out)
	}
	for _, want := range []string{`"field": "redis.fragmentation_ratio"`, `"reason": "+Inf is not a number JSON can hold"`,
		`"field": "redis.ops_per_sec"`, `"field": "redis.persistence.rdb_last_save_time"`, "which RFC 3339 cannot write"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("%s missing:\n%s", want, out)
		}
	}
}
