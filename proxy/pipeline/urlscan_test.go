package pipeline

import (
	"net/url"
	"reflect"
	"strconv"
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

// A path's segment pointers are "/<i>" past the ones made once as well.
func TestURLValuesLongPath(t *testing.T) {
	path := ""
	for i := range 20 {
		path += "/s" + strconv.Itoa(i)
	}
	u, _ := url.Parse(path)
	got := urlValues(u, nil)
	if len(got) != 20 {
		t.Fatalf("%d values, want 20", len(got))
	}
	for i, v := range got {
		if want := "/" + strconv.Itoa(i); v.pointer != want || v.value != "s"+strconv.Itoa(i) || v.index != i {
			t.Errorf("segment %d: %+v, want pointer %s", i, v, want)
		}
	}
}
