// Package incident turns Veil's audit events into an incident report for
// one principal or one client IP address: what that caller touched, what
// it saw in clear, and which breach-notification clocks start running.
// It is pure logic over audit.Event values; the CLI (veil incident) feeds
// it from the JSONL audit file or the Redis audit stream.
//
// # What is reported
//
// Build keeps the decision events (audit.KindDecision) whose Principal
// and/or IP equal the query's, with Time in [Since, Until] (zero bounds
// are open). From them it reports the time span and number of messages
// and requests, the affected records (CRM object + record id, how often
// and when they were touched, the categories of the messages that named
// them), the data subjects, the categories with their counts, the
// actions Veil applied, the outcomes and the notification clocks.
//
// # Approximations (state them when you use the report)
//
//   - Data subjects are the distinct records of person objects: Salesforce
//     Contact, Lead, Individual and PersonAccount, HubSpot contacts (object
//     type "contacts" or "0-1"). A person present in two objects (a Lead
//     converted to a Contact) is counted twice; persons named only inside
//     other objects (an Account's or a Case's fields) are not counted.
//   - An audit event counts findings by category and by action for the
//     whole message, not per record: a message's categories are
//     attributed to every record it names.
//   - Exposed means returned to the caller in clear: findings of a
//     response message (data read from the CRM) whose action was allow or
//     detokenize, in a message that was not blocked. A blocked message
//     exposed nothing. Findings of a request message went to the CRM,
//     not to the caller, and are reported as sent, not exposed. Because
//     actions are not counted per category, a message whose findings were
//     partly exposed marks each of its categories "possibly exposed" (up
//     to the number of exposed findings); the clocks treat possibly
//     exposed as exposed.
//   - A message forwarded uninspected (outcome passthrough) may have
//     carried anything: it is counted as uninspected and starts the GDPR
//     clock on its own.
//
// A report holds every distinct affected record (a few hundred bytes
// each): a bulk export of a million records makes a report of some
// hundred MB in memory. WriteText lists the first MaxTextRecords; the
// JSON form lists them all.
//
// # Clocks
//
// Clocks are computed from Query.AwareAt (default: now), the moment the
// controller became aware of the breach. A clock applies when a category
// that triggers it was exposed:
//
//   - GDPR / UK GDPR Art. 33(1): the supervisory authority within 72 hours,
//     on any exposed personal data. Nothing exposed (everything masked,
//     tokenized, redacted, hashed, dropped or blocked) means no Art. 33
//     clock: a breach "unlikely to result in a risk" is not notified,
//     only documented (Art. 33(5)); the report says so in its notes.
//     Art. 34: the data subjects without undue delay when the risk is high:
//     national identifiers, financial data, health identifiers.
//   - HIPAA Breach Notification Rule (45 CFR 164.400-414), on us_mbi (a
//     health plan beneficiary identifier) and us_npi (a provider
//     identifier: it applies only if the records are patients' PHI, said
//     in the clock's condition). uk_nhs is not HIPAA: it is UK health data,
//     a special category under UK GDPR (Art. 33/34 above).
//     Individuals within 60 calendar days of discovery; HHS within 60 days
//     when 500 or more individuals, otherwise within 60 days after the
//     end of the calendar year; media when more than 500 residents of a
//     State.
//   - California Civ. Code § 1798.82 (and the CCPA/CPRA private right of
//     action, § 1798.150): residents in the most expedient time possible
//     and without unreasonable delay, no fixed day count; the Attorney
//     General when more than 500 residents. Plus the states with a fixed
//     deadline (the States table) on the elements of the usual statutory
//     definition of personal information: SSN or taxpayer id, passport,
//     financial account or card number, health insurance identifier.
//     Statutes usually require the element together with the person's
//     name; in a CRM record the name is assumed present.
//   - PCI DSS: card numbers in clear go to the acquirer and the card brands
//     immediately (the brands' compromise rules; PCI DSS v4 Req. 12.10.1).
//   - Brazil LGPD Art. 48 (ANPD Resolution CD/ANPD 15/2024: 3 business
//     days) on br_cpf, Canada PIPEDA s. 10.1 (as soon as feasible) on ca_sin.
//
// The report is a triage aid, not legal advice: which laws apply depends
// on where the data subjects live, the operator's role (controller,
// processor, covered entity, business associate), encryption safe
// harbours and risk-of-harm assessments that Veil cannot see. Statutes
// change; the citations name what was encoded so that counsel can check
// it.
package incident
