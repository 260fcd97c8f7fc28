package open311

import (
	"encoding/json"
	"encoding/xml"
	"time"

	"github.com/huzhu-station/huzhu/bot/calendar"
	"github.com/huzhu-station/huzhu/bot/i18n"
	"github.com/huzhu-station/huzhu/bot/store"
)

// The documents of the feed, each with the spec's element names in XML and
// the spec's fields in JSON. A list is an array in JSON and a named root
// element in XML.

// request is a problem as the feed shows it. Fields the feed never fills
// are null in JSON and left out of XML.
type request struct {
	ID                string   `json:"service_request_id" xml:"service_request_id"`
	Status            string   `json:"status" xml:"status"`
	StatusNotes       *string  `json:"status_notes" xml:"status_notes,omitempty"`
	ServiceName       *string  `json:"service_name" xml:"service_name,omitempty"`
	ServiceCode       string   `json:"service_code" xml:"service_code"`
	Description       *string  `json:"description" xml:"description,omitempty"`
	AgencyResponsible *string  `json:"agency_responsible" xml:"agency_responsible,omitempty"`
	ServiceNotice     *string  `json:"service_notice" xml:"service_notice,omitempty"`
	RequestedDatetime string   `json:"requested_datetime" xml:"requested_datetime"`
	UpdatedDatetime   *string  `json:"updated_datetime" xml:"updated_datetime,omitempty"`
	ExpectedDatetime  *string  `json:"expected_datetime" xml:"expected_datetime,omitempty"`
	Address           *string  `json:"address" xml:"address,omitempty"`
	AddressID         *string  `json:"address_id" xml:"address_id,omitempty"`
	Zipcode           *string  `json:"zipcode" xml:"zipcode,omitempty"`
	Lat               *float64 `json:"lat" xml:"lat,omitempty"`
	Long              *float64 `json:"long" xml:"long,omitempty"`
	MediaURL          *string  `json:"media_url" xml:"media_url,omitempty"`

	requested time.Time
}

// toRequest is problem is of station st as the feed publishes it: nothing
// a resident wrote, nobody named (see the package comment).
func toRequest(st *store.Station, is *store.Issue) request {
	status := "closed"
	if is.Status.IsOpen() {
		status = "open"
	}
	agency := st.Name
	if is.EscalatedTo != "" && is.Status == store.IssueEscalated {
		agency = zh("office_", string(is.EscalatedTo)) + "（" + st.Name + "）"
	}
	r := request{
		ID: requestID{st.ID, is.N}.String(), Status: status, ServiceCode: is.Category,
		StatusNotes: ptr(zh("status_", string(is.Status))), ServiceName: ptr(zh("cat_", is.Category)),
		AgencyResponsible: ptr(agency), RequestedDatetime: stamp(is.Created), Address: ptr(st.Name),
		requested: is.Created,
	}
	if !is.Updated.IsZero() {
		r.UpdatedDatetime = ptr(stamp(is.Updated))
	}
	return r
}

func ptr[T any](v T) *T { return &v }

// stamp writes a time as a W3C date-time in Shanghai.
func stamp(t time.Time) string { return t.In(calendar.Shanghai).Format(time.RFC3339) }

// requestList is the answer of requests and requests/ID.
type requestList struct {
	XMLName  xml.Name  `xml:"service_requests"`
	Requests []request `xml:"request"`
}

func serviceRequests(reqs []request) requestList { return requestList{Requests: reqs} }

// MarshalJSON writes the list as an array.
func (l requestList) MarshalJSON() ([]byte, error) { return json.Marshal(orEmpty(l.Requests)) }

// service is a problem category.
type service struct {
	ServiceCode string  `json:"service_code" xml:"service_code"`
	ServiceName string  `json:"service_name" xml:"service_name"`
	Description *string `json:"description" xml:"description,omitempty"`
	Metadata    bool    `json:"metadata" xml:"metadata"`
	Type        string  `json:"type" xml:"type"`
	Keywords    *string `json:"keywords" xml:"keywords,omitempty"`
	Group       *string `json:"group" xml:"group,omitempty"`
}

// serviceList is the answer of services.
type serviceList struct {
	XMLName  xml.Name  `xml:"services"`
	Services []service `xml:"service"`
}

// MarshalJSON writes the list as an array.
func (l serviceList) MarshalJSON() ([]byte, error) { return json.Marshal(orEmpty(l.Services)) }

func serviceDocs(codes []string) serviceList {
	var l serviceList
	for _, c := range codes {
		l.Services = append(l.Services, service{ServiceCode: c, ServiceName: zh("cat_", c), Type: "realtime",
			Group: ptr(feedText("open311_service_group"))})
	}
	return l
}

// discoveryDoc says where the feed is and what it speaks.
type discoveryDoc struct {
	XMLName    xml.Name   `xml:"discovery" json:"-"`
	Changeset  string     `xml:"changeset" json:"changeset"`
	Contact    string     `xml:"contact" json:"contact"`
	KeyService string     `xml:"key_service" json:"key_service"`
	Endpoints  []endpoint `xml:"endpoints>endpoint" json:"endpoints"`
}

type endpoint struct {
	Specification string   `xml:"specification" json:"specification"`
	URL           string   `xml:"url" json:"url"`
	Changeset     string   `xml:"changeset" json:"changeset"`
	Type          string   `xml:"type" json:"type"`
	Formats       []string `xml:"formats>format" json:"formats"`
}

// changeset is when the feed's documents last changed their form.
const changeset = "2026-12-06T00:00:00Z"

func (h *Handler) discovery() discoveryDoc {
	return discoveryDoc{Changeset: changeset, Contact: feedText("open311_contact"), KeyService: "",
		Endpoints: []endpoint{{Specification: Specification, URL: h.base, Changeset: changeset, Type: "production",
			Formats: []string{"text/xml", "application/json"}}}}
}

// apiError is one error of the spec's error list.
type apiError struct {
	Code        int    `json:"code" xml:"code"`
	Description string `json:"description" xml:"description"`
}

type errorList struct {
	XMLName xml.Name   `xml:"errors"`
	Errors  []apiError `xml:"error"`
}

// feedText is one of the feed's fixed texts, in Chinese, as its data is.
func feedText(key string) string { return i18n.T("zh-CN", key) }

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
