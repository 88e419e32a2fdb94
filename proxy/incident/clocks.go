package incident

import (
	"cmp"
	"fmt"
	"slices"
	"time"
)

// Clock is one notification obligation that may apply.
type Clock struct {
	Regime string `json:"regime"`
	Notify string `json:"notify"`
	// Deadline is AwareAt plus the period; zero when the law sets no
	// fixed period (Within says "without undue delay", "immediately" …).
	Deadline  time.Time `json:"deadline,omitzero"`
	Within    string    `json:"within"`
	Trigger   []string  `json:"trigger"`             // exposed categories that make it apply ("uninspected": passthrough messages)
	Condition string    `json:"condition,omitempty"` // what must also hold for it to apply
	Basis     string    `json:"basis"`               // the statute or rule
}

// statePrefix starts the Regime of a US state's fixed-deadline clock.
const statePrefix = "US state breach law: "

// Category sets that trigger clocks.
var (
	// notPersonal are categories that are not personal data by themselves:
	// a Veil token, an API key or private key.
	notPersonal = set("veil_token", "secret")
	// gdprHighRisk: national identifiers, financial and health data make
	// a breach likely high risk (Art. 34; EDPB Guidelines 9/2022).
	gdprHighRisk = set("us_ssn", "us_itin", "uk_nino", "br_cpf", "ca_sin", "passport",
		"credit_card", "iban", "bank_account", "uk_nhs", "us_mbi", "us_npi")
	hipaa = set("us_mbi", "us_npi")
	// usState: the elements of the usual state definition of "personal
	// information" that Veil detects.
	usState = set("us_ssn", "us_itin", "passport", "credit_card", "bank_account", "iban", "us_mbi")
	pci     = set("credit_card")
	lgpd    = set("br_cpf")
	pipeda  = set("ca_sin")
)

// State is a US state breach law with a fixed deadline to notify
// residents, counted from discovery (or determination) of the breach.
type State struct {
	Name      string
	Days      int
	Basis     string
	Regulator string // regulator notice, when the statute has one with a threshold or its own deadline
}

// States are the state laws with a fixed deadline encoded here (as of
// 2025; states without one require notice "in the most expedient time
// possible and without unreasonable delay", like California). Statutes
// change: check them.
var States = []State{
	{"Colorado", 30, "Colo. Rev. Stat. § 6-1-716", "the Attorney General within 30 days when 500 or more Colorado residents are affected"},
	{"Florida", 30, "Fla. Stat. § 501.171", "the Department of Legal Affairs within 30 days when 500 or more Florida residents are affected (15 more days on request)"},
	{"Maine", 30, "Me. Rev. Stat. tit. 10, § 1348", ""},
	{"New York", 30, "N.Y. Gen. Bus. Law § 899-aa (30 days since Dec. 2024)", "the Attorney General, Department of State, State Police and DFS"},
	{"Washington", 30, "RCW 19.255.010", "the Attorney General within 30 days when more than 500 Washington residents are affected"},
	{"Alabama", 45, "Ala. Code § 8-38-5", ""},
	{"Arizona", 45, "Ariz. Rev. Stat. § 18-552", ""},
	{"Indiana", 45, "Ind. Code § 24-4.9-3-3", ""},
	{"Maryland", 45, "Md. Code, Com. Law § 14-3504", ""},
	{"New Mexico", 45, "N.M. Stat. § 57-12C-6", ""},
	{"Ohio", 45, "Ohio Rev. Code § 1349.19", ""},
	{"Oregon", 45, "Or. Rev. Stat. § 646A.604", ""},
	{"Rhode Island", 45, "R.I. Gen. Laws § 11-49.3-4", ""},
	{"Tennessee", 45, "Tenn. Code Ann. § 47-18-2107", ""},
	{"Vermont", 45, "Vt. Stat. tit. 9, § 2435", "a preliminary notice to the Attorney General within 14 business days"},
	{"Wisconsin", 45, "Wis. Stat. § 134.98", ""},
	{"Connecticut", 60, "Conn. Gen. Stat. § 36a-701b", ""},
	{"Delaware", 60, "Del. Code tit. 6, § 12B-102", ""},
	{"Louisiana", 60, "La. Rev. Stat. § 51:3074", ""},
	{"South Dakota", 60, "S.D. Codified Laws § 22-40-20", ""},
	{"Texas", 60, "Tex. Bus. & Com. Code § 521.053", "the Attorney General within 30 days when 250 or more Texas residents are affected"},
}

// regulatorClocks are regulator notices with their own deadline,
// shorter than the residents' one or independent of it.
var regulatorClocks = []struct {
	state, notify, basis string
	days, businessDays   int
	condition            string
}{
	{"Colorado", "Colorado Attorney General", "Colo. Rev. Stat. § 6-1-716", 30, 0, "500 or more Colorado residents affected"},
	{"Florida", "Florida Department of Legal Affairs", "Fla. Stat. § 501.171", 30, 0, "500 or more Florida residents affected"},
	{"Washington", "Washington Attorney General", "RCW 19.255.010", 30, 0, "more than 500 Washington residents affected"},
	{"Texas", "Texas Attorney General (electronic form)", "Tex. Bus. & Com. Code § 521.053", 30, 0, "250 or more Texas residents affected"},
	{"Vermont", "Vermont Attorney General (preliminary notice)", "Vt. Stat. tit. 9, § 2435", 0, 14, "Vermont residents affected"},
}

// clocks computes the clocks that apply to r and notes about them, from
// Query.AwareAt (default: now). A clock applies when a category that
// triggers it was exposed; possibly exposed counts as exposed.
//
//   - GDPR / UK GDPR Art. 33(1): the supervisory authority within 72 hours,
//     on any exposed personal data. Nothing exposed means no Art. 33
//     clock: a breach "unlikely to result in a risk" is only documented
//     (Art. 33(5)), and the notes say so. Art. 34: the data subjects
//     without undue delay when the risk is high (gdprHighRisk).
//   - HIPAA Breach Notification Rule (45 CFR 164.400-414), on us_mbi and
//     us_npi (only if the records are patients' PHI, said in the
//     condition); uk_nhs is UK GDPR special-category data, not HIPAA.
//     Individuals within 60 calendar days of discovery; HHS within 60 days
//     when 500 or more individuals, otherwise within 60 days after the end
//     of the calendar year; media when more than 500 residents of a State.
//   - California Civ. Code § 1798.82 (and CCPA/CPRA § 1798.150): residents
//     in the most expedient time possible, no fixed day count; the
//     Attorney General when more than 500 residents. Plus States and
//     regulatorClocks on the usState elements; the person's name, which
//     statutes usually require with the element, is assumed present in a
//     CRM record.
//   - PCI DSS: card numbers in clear go to the acquirer and the card brands
//     immediately (PCI DSS v4 Req. 12.10.1).
//   - Brazil LGPD Art. 48 (CD/ANPD Resolution 15/2024: 3 business days) on
//     br_cpf; Canada PIPEDA s. 10.1 (as soon as feasible) on ca_sin.
func clocks(r *Report) ([]Clock, []string) {
	aware := r.Query.AwareAt.UTC()
	exposed := r.exposedCategories()
	hit := func(s map[string]bool) []string {
		var out []string
		for c := range exposed {
			if s[c] {
				out = append(out, c)
			}
		}
		slices.Sort(out)
		return out
	}
	var cs []Clock
	var notes []string

	// GDPR / UK GDPR.
	var personal []string
	for c := range exposed {
		if !notPersonal[c] {
			personal = append(personal, c)
		}
	}
	slices.Sort(personal)
	if r.Exposure.Uninspected > 0 {
		personal = append(personal, "uninspected")
	}
	if len(personal) > 0 {
		cs = append(cs, Clock{
			Regime: "GDPR / UK GDPR", Notify: "the lead supervisory authority (EU) or the ICO (UK)",
			Deadline: aware.Add(72 * time.Hour), Within: "72 hours after becoming aware",
			Trigger:   personal,
			Condition: "data subjects in the EU/EEA or the UK, or a controller established there; not required if the breach is unlikely to result in a risk (document it under Art. 33(5) either way); a processor notifies its controller without undue delay (Art. 33(2))",
			Basis:     "Regulation (EU) 2016/679 Art. 33(1); UK GDPR Art. 33(1)",
		})
	} else if r.Messages > 0 {
		notes = append(notes, "No GDPR Art. 33 clock: no personal data reached the caller in clear (every finding was masked, tokenized, redacted, hashed, dropped or blocked, or only sent to the CRM). Record the incident in the breach register (GDPR Art. 33(5)).")
	}
	if t := hit(gdprHighRisk); len(t) > 0 {
		cs = append(cs, Clock{
			Regime: "GDPR / UK GDPR", Notify: "the data subjects",
			Within: "without undue delay", Trigger: t,
			Condition: "the breach is likely to result in a high risk (identifiers, financial or health data suggest it); not required if the data was unintelligible to the recipient (Art. 34(3)(a))",
			Basis:     "Regulation (EU) 2016/679 Art. 34(1); UK GDPR Art. 34(1)",
		})
	}

	// HIPAA.
	if t := hit(hipaa); len(t) > 0 {
		cond := "the operator is a HIPAA covered entity (a business associate notifies the covered entity within 60 days, 45 CFR § 164.410) and the records hold unsecured protected health information"
		if slices.Equal(t, []string{"us_npi"}) {
			cond += "; an NPI names a provider, not a patient: HIPAA applies only if these records are patients' PHI"
		}
		n := r.affected(hipaa)
		cs = append(cs, Clock{
			Regime: "HIPAA", Notify: "the affected individuals",
			Deadline: aware.AddDate(0, 0, 60), Within: "without unreasonable delay, no later than 60 calendar days after discovery",
			Trigger: t, Condition: cond, Basis: "45 CFR § 164.404(b)",
		})
		if n >= 500 {
			cs = append(cs, Clock{
				Regime: "HIPAA", Notify: "HHS (Office for Civil Rights breach portal)",
				Deadline: aware.AddDate(0, 0, 60), Within: "contemporaneously with the individuals' notice, no later than 60 calendar days",
				Trigger: t, Condition: fmt.Sprintf("500 or more individuals (estimated %d)", n), Basis: "45 CFR § 164.408(b)",
			})
			cs = append(cs, Clock{
				Regime: "HIPAA", Notify: "prominent media outlets in the State",
				Deadline: aware.AddDate(0, 0, 60), Within: "no later than 60 calendar days after discovery",
				Trigger: t, Condition: "more than 500 residents of one State or jurisdiction", Basis: "45 CFR § 164.406",
			})
		} else {
			endOfYear := time.Date(aware.Year(), 12, 31, 23, 59, 59, 0, time.UTC)
			cs = append(cs, Clock{
				Regime: "HIPAA", Notify: "HHS (breach log, annual submission)",
				Deadline: endOfYear.AddDate(0, 0, 60), Within: "within 60 days after the end of the calendar year of discovery",
				Trigger: t, Condition: fmt.Sprintf("fewer than 500 individuals (estimated %d)", n), Basis: "45 CFR § 164.408(c)",
			})
		}
	}

	// US state breach laws.
	if t := hit(usState); len(t) > 0 {
		cs = append(cs, Clock{
			Regime: "California breach law (CCPA/CPRA)", Notify: "affected California residents; the Attorney General (sample notice) when more than 500 residents",
			Within: "in the most expedient time possible and without unreasonable delay", Trigger: t,
			Condition: "California residents affected; data not encrypted; the CCPA private right of action (Civ. Code § 1798.150) covers such breaches",
			Basis:     "Cal. Civ. Code § 1798.82(a), (f)",
		})
		for _, s := range States {
			cs = append(cs, Clock{
				Regime: statePrefix + s.Name, Notify: "affected " + s.Name + " residents",
				Deadline: aware.AddDate(0, 0, s.Days), Within: fmt.Sprintf("%d days after discovery", s.Days),
				Trigger: t, Condition: stateCondition(s),
				Basis: s.Basis,
			})
		}
		for _, g := range regulatorClocks {
			c := Clock{Regime: statePrefix + g.state, Notify: g.notify, Trigger: t, Condition: g.condition, Basis: g.basis}
			if g.businessDays > 0 {
				c.Deadline, c.Within = addBusinessDays(aware, g.businessDays), fmt.Sprintf("%d business days after discovery", g.businessDays)
			} else {
				c.Deadline, c.Within = aware.AddDate(0, 0, g.days), fmt.Sprintf("%d days after discovery", g.days)
			}
			cs = append(cs, c)
		}
	}

	// PCI DSS.
	if t := hit(pci); len(t) > 0 {
		cs = append(cs, Clock{
			Regime: "PCI DSS", Notify: "the acquiring bank and the card brands (Visa, Mastercard, American Express, Discover, JCB)",
			Within: "immediately", Trigger: t,
			Condition: "card numbers (PAN) returned in clear to an unauthorised party",
			Basis:     "PCI DSS v4.0 Req. 12.10.1 (incident response plan: notify payment brands and acquirers); card-brand rules, e.g. Visa \"What To Do If Compromised\"",
		})
	}

	// Brazil, Canada.
	if t := hit(lgpd); len(t) > 0 {
		cs = append(cs, Clock{
			Regime: "LGPD (Brazil)", Notify: "the ANPD and the data subjects",
			Deadline: addBusinessDays(aware, 3), Within: "3 business days after becoming aware",
			Trigger: t, Condition: "the incident may cause relevant risk or damage to the data subjects",
			Basis: "Lei 13.709/2018 Art. 48; Resolução CD/ANPD nº 15/2024 Art. 6",
		})
	}
	if t := hit(pipeda); len(t) > 0 {
		cs = append(cs, Clock{
			Regime: "PIPEDA (Canada)", Notify: "the Office of the Privacy Commissioner and the affected individuals",
			Within: "as soon as feasible", Trigger: t,
			Condition: "a real risk of significant harm", Basis: "PIPEDA s. 10.1(1)-(3)",
		})
	}

	if r.Exposure.Uninspected > 0 {
		notes = append(notes, fmt.Sprintf("%d message(s) were forwarded uninspected (passthrough): their content is unknown; category-based clocks cannot see them.", r.Exposure.Uninspected))
	}
	slices.SortStableFunc(cs, func(a, b Clock) int {
		return cmp.Or(cmp.Compare(urgency(a), urgency(b)), a.Deadline.Compare(b.Deadline))
	})
	if cs == nil {
		cs = []Clock{} // JSON: [], not null
	}
	if len(cs) > 0 {
		notes = append(notes, "Triage aid, not legal advice: which clocks apply depends on where the data subjects live, the operator's role and risk assessments Veil cannot see; have counsel confirm.")
	}
	return cs, notes
}

func stateCondition(s State) string {
	c := s.Name + " residents affected; most statutes need the element with the person's name and exempt encrypted data"
	if s.Regulator != "" {
		c += "; also notify " + s.Regulator
	}
	return c
}

// urgency orders clocks: immediate ones, then fixed deadlines (by
// deadline), then open-ended ones ("without undue delay").
func urgency(c Clock) int {
	switch {
	case c.Within == "immediately":
		return 0
	case !c.Deadline.IsZero():
		return 1
	}
	return 2
}

// addBusinessDays adds n Monday-to-Friday days to t (public holidays are
// not known here).
func addBusinessDays(t time.Time, n int) time.Time {
	for n > 0 {
		t = t.AddDate(0, 0, 1)
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n--
		}
	}
	return t
}

func set(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}
