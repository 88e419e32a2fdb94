package crm

import (
	"bytes"
	"encoding/xml"
)

const xmlDecl = `<?xml version="1.0" encoding="UTF-8"?>`

// xmlError is Salesforce's REST XML error body.
func xmlError(code, msg string) []byte {
	var b bytes.Buffer
	b.WriteString(xmlDecl + "<Errors><Error><errorCode>")
	escape(&b, code)
	b.WriteString("</errorCode><message>")
	escape(&b, msg)
	b.WriteString("</message></Error></Errors>")
	return b.Bytes()
}

// soapFault is a SOAP 1.1 fault as Salesforce's SOAP API sends one:
// faultcode in the sf namespace, faultstring "CODE: message", and in
// detail Veil's code and the decision id.
func soapFault(code, msg, decisionID string) []byte {
	var b bytes.Buffer
	b.WriteString(xmlDecl + `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com">` +
		"<soapenv:Body><soapenv:Fault><faultcode>sf:")
	escape(&b, code)
	b.WriteString("</faultcode><faultstring>")
	escape(&b, code)
	b.WriteString(": ")
	escape(&b, msg)
	b.WriteString("</faultstring><detail><sf:VeilFault><sf:exceptionCode>")
	escape(&b, code)
	b.WriteString("</sf:exceptionCode><sf:exceptionMessage>")
	escape(&b, msg)
	b.WriteString("</sf:exceptionMessage>")
	if decisionID != "" {
		b.WriteString("<sf:decisionId>")
		escape(&b, decisionID)
		b.WriteString("</sf:decisionId>")
	}
	b.WriteString("</sf:VeilFault></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>")
	return b.Bytes()
}

// salesforceFault is the fault Salesforce's SOAP API itself sends for
// exception code (INVALID_LOGIN: a LoginFault), byte for byte in shape.
func salesforceFault(code, msg string) []byte {
	typ := "UnexpectedErrorFault"
	if code == "INVALID_LOGIN" {
		typ = "LoginFault"
	}
	var b bytes.Buffer
	b.WriteString(xmlDecl + `<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
		"<soapenv:Body><soapenv:Fault><faultcode>sf:")
	escape(&b, code)
	b.WriteString("</faultcode><faultstring>")
	escape(&b, code)
	b.WriteString(": ")
	escape(&b, msg)
	b.WriteString(`</faultstring><detail><sf:` + typ + ` xsi:type="sf:` + typ + `"><sf:exceptionCode>`)
	escape(&b, code)
	b.WriteString("</sf:exceptionCode><sf:exceptionMessage>")
	escape(&b, msg)
	b.WriteString("</sf:exceptionMessage></sf:" + typ + "></detail></soapenv:Fault></soapenv:Body></soapenv:Envelope>")
	return b.Bytes()
}

// bulkV1Error is Bulk API 1.0's error body.
func bulkV1Error(code, msg string) []byte {
	var b bytes.Buffer
	b.WriteString(xmlDecl + `<error xmlns="http://www.force.com/2009/06/asyncapi/dataload"><exceptionCode>`)
	escape(&b, code)
	b.WriteString("</exceptionCode><exceptionMessage>")
	escape(&b, msg)
	b.WriteString("</exceptionMessage></error>")
	return b.Bytes()
}

func escape(b *bytes.Buffer, s string) { _ = xml.EscapeText(b, []byte(s)) }
