package admission_test

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/lumamock/lumamock/admission"
)

// A request is judged as the mock, the proxy and the checker judge it: the first failing step decides the
// status, and a 400 names every violation.
func ExampleValidator_AdmitBody() {
	v, err := admission.New(admission.Options{})
	if err != nil {
		panic(err)
	}
	body := []byte(`{"user_prompt": "", "resolution": "4k"}`)
	req, _ := http.NewRequest(http.MethodPost, "http://localhost/luma/generations", strings.NewReader(string(body)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer any-key")
	d := v.AdmitBody(req, body)
	fmt.Println(d.Status, d.Operation())
	for _, violation := range d.Violations {
		fmt.Println(violation.In, violation.Field, violation.Rule)
	}
	req.Header.Set("Content-Type", "application/json; charset=iso-8859-1")
	d = v.AdmitBody(req, body)
	fmt.Println(d.Status, d.Violations[0].Field)
	// Output:
	// 400 createGeneration
	// body /resolution enum
	// body /user_prompt minLength
	// 415 Content-Type
}
