package detectors

import (
	"fmt"
	"testing"
	"time"
)

var dobCases = []scanCase{
	{"DOB: 1985-04-12", "Description", "date_of_birth"},
	{"born 12/31/1985 in Leeds", "Description", "date_of_birth"},
	{"Date of birth 31.12.1985", "Description", "date_of_birth"},
	{"d.o.b 7/4/1990", "Description", "date_of_birth"},
	{"1985-04-12", "Birthdate", "date_of_birth"}, // the field says so: FieldHint, whole value
	// Negatives: dates without a birth word, impossible or future dates.
	{"2020-06-08T21:14:48.000+0000", "CreatedDate", ""},
	{"Closed on 2024-01-31 after renewal", "Description", ""},
	{"DOB: 1985-02-30", "Description", ""},
	{"DOB: 13/13/1985", "Description", ""},
	{"born 1850-01-01", "Description", ""},
	{"DOB: 2999-01-01", "Description", ""},
	{"reborn 1985-04-12", "Description", ""}, // not a word of its own
}

func TestDateOfBirth(t *testing.T) { checkScan(t, dobCases) }

// dobWordCases: a birth word near a date in any common form; the finding
// is the date alone.
var dobWordCases = []struct{ v, date string }{
	{"dob: Jan 2 1960", "Jan 2 1960"},
	{"DOB Jan 2, 1960", "Jan 2, 1960"},
	{"born on 2 January 1960", "2 January 1960"},
	{"Born on January 2nd, 1960 in Ohio", "January 2nd, 1960"},
	{"date of birth 1960/01/02", "1960/01/02"},
	{"Date of Birth: 1960.01.02", "1960.01.02"},
	{"DOB 02.01.1960", "02.01.1960"},
	{"Birthday: 1960-01-02", "1960-01-02"},
	{"birth date: 2nd of January 1960", "2nd of January 1960"},
	{"b. 2/1/1960", "2/1/1960"},
	{"Jane Doe (b. 2/1/1960)", "2/1/1960"},
	{"geboren am 02.01.1960", "02.01.1960"},
	{"Geb. 02.01.1960", "02.01.1960"},
	{"Geburtsdatum: 2.1.1960", "2.1.1960"},
	{"née le 2 janvier: 02/01/1960", "02/01/1960"},
	{"né le 02/01/1960 à Lyon", "02/01/1960"},
	{"D.O.B.: 02-Jan-1960", "02-Jan-1960"},
	{"DOB Sept. 3, 1971", "Sept. 3, 1971"},
	{"dob 3 Sep 1971.", "3 Sep 1971"},
	{"DOB: MARCH 21ST 1980", "MARCH 21ST 1980"},
	{"DOB:12 December, 1999", "12 December, 1999"},
	{"born Feb 29, 1960", "Feb 29, 1960"}, // a leap year
	{"Notes: patient born on Monday, May 5 1975, referred by GP", "May 5 1975"},
	{"birth_date=1960-01-02", "1960-01-02"},
	{"d.o.b. 1984/02/29, renewal due 2025/02/28", "1984/02/29"}, // the word is the first date's
}

// dobNegatives: dates without a birth word, birth words without a whole
// date, impossible dates, years out of range.
var dobNegatives = []string{
	"meeting on Jan 2 2024",
	"Meeting on 2 January 2024, then lunch",
	"2024-01-31",
	"Closed Jan 2, 1960 deal", // no birth word
	"Born in 1960",
	"born in January 1960", // no day
	"DOB: Feb 29, 1961",    // no such day
	"DOB Jan 32 1960",
	"DOB 1960-13-02",
	"dob Jan 2 1899",
	"DOB: Dec 31 2999",
	"reborn Jan 2 1960",
	"Stubborn Jan 2 1960",
	"plan b. then 2/1/1960", // "b." only right before the date
	"DOB Janet 2 1960",
	"DOB Jan 21960",
	"DOB 1.2.1960.5",
	"DOB 5.02.01.1960",
	"Born 2020-06-08T21:14:48.000+0000",
	"dob Jan 2nd",
}

func TestDateOfBirthInWords(t *testing.T) {
	s := NewScanner(Default())
	for _, c := range dobWordCases {
		got := s.Scan(nil, []byte(c.v), ClassifyField("Description"))
		if len(got) != 1 || got[0].Category != CategoryDateOfBirth || c.v[got[0].Start:got[0].End] != c.date {
			t.Errorf("%q: got %+v, want one date_of_birth over %q", c.v, got, c.date)
		}
	}
	for _, v := range dobNegatives {
		if got := s.Scan(nil, []byte(v), ClassifyField("Description")); len(got) != 0 {
			t.Errorf("%q: want nothing, got %+v", v, got)
		}
	}
}

// TestDateOfBirthYears: a year from 1900 to this one is a birth year, a
// later one is not.
func TestDateOfBirthYears(t *testing.T) {
	s := NewScanner(Default())
	now := time.Now()
	for _, c := range []struct {
		year int
		want bool
	}{{1899, false}, {1900, true}, {1960, true}, {now.Year() - 1, true}, {now.Year() + 1, false}} {
		v := fmt.Sprintf("DOB: Jan 1, %d", c.year)
		got := s.Scan(nil, []byte(v), ClassifyField("Description"))
		if (len(got) == 1 && got[0].Category == CategoryDateOfBirth) != c.want {
			t.Errorf("%q: got %+v, want a date of birth: %t", v, got, c.want)
		}
	}
}

func BenchmarkDateOfBirth(b *testing.B) { benchScan(b, dobCases) }
