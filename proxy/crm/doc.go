// Package crm knows the CRM dialects Veil sits in front of: which operation
// and object a Salesforce or HubSpot request means, where the records sit
// in a body, which members carry a record's id, type and consent flags, and
// how each CRM shapes an error so that Veil's refusals reach the client's
// own error handling (jsforce's errorCode, HubSpot's ApiException).
package crm
