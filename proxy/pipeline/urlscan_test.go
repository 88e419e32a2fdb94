package pipeline

import (
	"net/url"
	"reflect"
	"testing"
)

func TestURLValues(t *testing.T) {
	u, _ := url.Parse("/crm/v3/objects/contacts/jane%40x.com?idProperty=email&b=2&b=3&a%2Fb=1")
	got := urlValues(u, nil)
	want := []urlValue{
		{InQuery, "/a~1b", "a/b", "1", "a/b", 0, 0},
		{InQuery, "/b/0", "b", "2", "b", 0, 0},
		{InQuery, "/b/1", "b", "3", "b", 1, 0},
		{InQuery, "/idProperty", "idProperty", "email", "idProperty", 0, 0},
		{InPath, "/0", "", "crm", "", 0, 0},
		{InPath, "/1", "crm", "v3", "", 1, 0},
		{InPath, "/2", "v3", "objects", "", 2, 0},
		{InPath, "/3", "objects", "contacts", "", 3, 0},
		{InPath, "/4", "email", "jane@x.com", "", 4, 0},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}
