// Package crm knows the Salesforce and HubSpot dialects: what a request means
// (operation, object, query predicates), where a body's records, ids, types
// and consent flags sit, and each CRM's error shape for Veil's refusals.
package crm
