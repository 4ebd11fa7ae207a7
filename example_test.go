package lumamock_test

import (
	"encoding/json"
	"fmt"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/lumamock/lumamock"
)

// The embedded document is the contract: validate a request body against its GenerationRequest schema and
// list what is wrong, each violation naming the field by JSON pointer and the rule broken.
func ExampleViolations() {
	doc, err := lumamock.Load()
	if err != nil {
		panic(err)
	}
	schema := doc.Components.Schemas["GenerationRequest"].Value

	var body any
	_ = json.Unmarshal([]byte(`{"user_prompt": "", "duration": 5, "model_name": "ray-v3"}`), &body)
	for _, v := range lumamock.Violations(schema.VisitJSON(body, openapi3.MultiErrors())) {
		fmt.Printf("%s %s: %s\n", v.Field, v.Rule, v.Message)
	}
	// Output:
	// /duration type: value must be a string
	// /model_name enum: value is not one of the allowed values ["ray-v1","ray-v2"]
	// /user_prompt minLength: minimum string length is 1
}

// JSONPointer names a field the way every violation and finding does, escaping "~" and "/" in each token.
func ExampleJSONPointer() {
	fmt.Println(lumamock.JSONPointer("data", "video", "url"))
	fmt.Println(lumamock.JSONPointer("a/b", "c~d"))
	fmt.Printf("%q\n", lumamock.JSONPointer())
	// Output:
	// /data/video/url
	// /a~1b/c~0d
	// ""
}
