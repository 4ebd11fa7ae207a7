package lumamock_test

import (
	"encoding/json"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/lumamock/lumamock"
)

// TestViolationOfAHugeNumber: a number no float64 holds (1e999) is named as what is wrong with it, not with
// kin-openapi's "cannot convert json.Number to float64".
func TestViolationOfAHugeNumber(t *testing.T) {
	for _, tt := range []struct {
		schema *openapi3.Schema
		want   string
	}{
		{openapi3.NewBoolSchema(), "value must be a boolean"},
		{openapi3.NewIntegerSchema(), "the number 1e999 is out of range"},
		{openapi3.NewFloat64Schema(), "the number 1e999 is out of range"},
	} {
		err := tt.schema.VisitJSON(json.Number("1e999"))
		vs := lumamock.Violations(err)
		if len(vs) != 1 || vs[0].Message != tt.want || vs[0].Rule != "type" {
			t.Errorf("%s schema: %+v (err %v), want one type violation %q", tt.schema.Type.Slice(), vs, err, tt.want)
		}
	}
}
