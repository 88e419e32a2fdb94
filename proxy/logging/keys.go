package logging

// keyClass says what a field key asks of its value.
type keyClass uint8

const (
	keyPlain  keyClass = iota // scanned as free text
	keyDenied                 // value replaced by Redacted, whatever its type
	keyURL                    // value rewritten to scheme://host/path, then scanned
)

// keyClasses holds normalised key words: lower case, separators removed,
// so that "raw_query", "rawQuery" and "Raw-Query" are all "rawquery".
var keyClasses = map[string]keyClass{
	"body": keyDenied, "payload": keyDenied, "form": keyDenied, "input": keyDenied,
	"value": keyDenied, "values": keyDenied, "headers": keyDenied,
	"query": keyDenied, "querystring": keyDenied, "rawquery": keyDenied, "q": keyDenied,
	"fragment": keyDenied, "uri": keyDenied, "requesturi": keyDenied,
	"authorization": keyDenied, "auth": keyDenied, "credentials": keyDenied,
	"cookie": keyDenied, "cookies": keyDenied, "setcookie": keyDenied,
	"token": keyDenied, "accesstoken": keyDenied, "refreshtoken": keyDenied, "idtoken": keyDenied,
	"password": keyDenied, "passwd": keyDenied, "secret": keyDenied, "clientsecret": keyDenied,
	"apikey": keyDenied, "privatekey": keyDenied,
	"ssn": keyDenied, "email": keyDenied, "phone": keyDenied, "dob": keyDenied, "birthdate": keyDenied,
	"card": keyDenied, "cardnumber": keyDenied, "cvv": keyDenied, "cvc": keyDenied,
	"iban": keyDenied, "passport": keyDenied,

	"url": keyURL, "href": keyURL, "link": keyURL,
}

// classifyKey classifies a field key, case-insensitively and in its
// compound forms: the whole key, its first or last word, or its first or
// last two words joined must be listed. Words split at '_', '-', '.', ' ',
// ':' and camel-case humps, so "req_body", "body_json", "accessToken",
// "requestURI" and "X-Api-Key" are all caught. Only the first 64 bytes of a
// key are read. It does not allocate: the map lookups take string(b) of a
// stack buffer, which the compiler does without copying.
func classifyKey(key string) keyClass {
	var buf [64]byte // the key lower-cased, separators dropped
	n := 0
	// Word boundaries in buf: the ends of the first two words, the starts
	// of the last two.
	words, end1, end2, prev, last := 0, 0, 0, 0, 0
	boundary := func() {
		switch words {
		case 1:
			end1 = n
		case 2:
			end2 = n
		}
		prev, last = last, n
		words++
	}
	pending := false // a separator or hump was seen: the next byte opens a word
	for i := 0; i < len(key) && n < len(buf); i++ {
		c := key[i]
		switch {
		case c == '_' || c == '-' || c == '.' || c == ' ' || c == ':':
			pending = true
			continue
		case c >= 'A' && c <= 'Z':
			// A hump starts a word: "accessToken" → access|token, and so
			// does the last capital before a lower case letter: "URLPath"
			// → url|path.
			prevLower := i > 0 && key[i-1] >= 'a' && key[i-1] <= 'z'
			prevUpper := i > 0 && key[i-1] >= 'A' && key[i-1] <= 'Z'
			nextLower := i+1 < len(key) && key[i+1] >= 'a' && key[i+1] <= 'z'
			pending = pending || prevLower || prevUpper && nextLower
			c += 'a' - 'A'
		}
		if words == 0 {
			words = 1
		} else if pending {
			boundary()
		}
		pending = false
		buf[n] = c
		n++
	}
	if n == 0 {
		return keyPlain
	}
	switch words {
	case 1:
		end1, end2 = n, n
	case 2:
		end2 = n
	}
	w := buf[:n]
	spans := [...][2]int{{0, n}, {0, end1}, {last, n}, {0, end2}, {prev, n}}
	// One word: only the whole key; two: the whole and each word.
	for _, r := range spans[:min(1+2*(words-1), len(spans))] {
		if c := lookupKeyWord(w[r[0]:r[1]]); c != keyPlain {
			return c
		}
	}
	return keyPlain
}

// keyWordShapes has bit l of entry b set when a listed word of length l
// starts with byte b: most words of ordinary keys fail this test, and never
// reach the map.
var keyWordShapes = func() (t [256]uint32) {
	for w := range keyClasses {
		t[w[0]] |= 1 << min(len(w), 31)
	}
	return t
}()

func lookupKeyWord(w []byte) keyClass {
	if len(w) == 0 || keyWordShapes[w[0]]&(1<<min(len(w), 31)) == 0 {
		return keyPlain
	}
	return keyClasses[string(w)]
}
