package serve

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/wismo/wismo/detect"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/taxonomy"
	"go.yaml.in/yaml/v3"
	"golang.org/x/text/language"
)

//go:embed messages/*.yaml
var messagesFS embed.FS

// Catalog holds the page's texts and the taxonomy's messages in every
// language of messages/, English first (the fallback of every key).
type Catalog struct {
	langs   []*Messages
	tags    []language.Tag
	matcher language.Matcher
}

// Messages are one language's texts.
type Messages struct {
	Tag language.Tag
	// Text is the page's words by key as T gives them (English where this
	// language lacks one), for the templates: a field is read without the
	// reflection a method call costs there ({{$m.Text.next_step}}, not
	// {{$m.T "next_step"}}; both work).
	Text  map[string]string
	page  map[string]string
	types map[string]typeText
	en    *Messages // the fallback; nil for English itself
}

type typeText struct{ message, nextStep taxonomy.Template }

type messagesFile struct {
	Tag   string            `yaml:"tag"`
	Page  map[string]string `yaml:"page"`
	Types map[string]struct {
		Message  string `yaml:"message"`
		NextStep string `yaml:"next_step"`
	} `yaml:"types"`
}

// LoadCatalog reads the embedded messages.
func LoadCatalog() (*Catalog, error) { return loadCatalog(messagesFS, "messages") }

func loadCatalog(fsys fs.FS, dir string) (*Catalog, error) {
	ents, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	c := &Catalog{}
	var en *Messages
	var others []*Messages
	for _, ent := range ents {
		if !strings.HasSuffix(ent.Name(), ".yaml") {
			continue
		}
		name := path.Join(dir, ent.Name())
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var f messagesFile
		dec := yaml.NewDecoder(strings.NewReader(string(data)))
		dec.KnownFields(true)
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		tag, err := language.Parse(f.Tag)
		if err != nil {
			return nil, fmt.Errorf("%s: tag %q: %w", name, f.Tag, err)
		}
		m := &Messages{Tag: tag, page: f.Page, types: map[string]typeText{}}
		for typ, t := range f.Types {
			if _, ok := taxonomy.Lookup(typ); !ok {
				return nil, fmt.Errorf("%s: types: %q is not a taxonomy type", name, typ)
			}
			var tt typeText
			if tt.message, err = taxonomy.ParseTemplate(t.Message); err != nil {
				return nil, fmt.Errorf("%s: types: %s: message: %w", name, typ, err)
			}
			if tt.nextStep, err = taxonomy.ParseTemplate(t.NextStep); err != nil {
				return nil, fmt.Errorf("%s: types: %s: next_step: %w", name, typ, err)
			}
			m.types[typ] = tt
		}
		if tag == language.English {
			en = m
		} else {
			others = append(others, m)
		}
	}
	if en == nil {
		return nil, fmt.Errorf("%s: no en.yaml, the fallback of every language", dir)
	}
	for _, m := range others {
		m.en = en
		for k := range m.page {
			if _, ok := en.page[k]; !ok {
				return nil, fmt.Errorf("%s: %s: page key %q is not in en.yaml", dir, m.Tag, k)
			}
		}
	}
	c.langs = append([]*Messages{en}, others...)
	for _, m := range c.langs {
		m.Text = map[string]string{}
		for k := range en.page {
			m.Text[k] = m.T(k)
		}
	}
	for _, m := range c.langs {
		c.tags = append(c.tags, m.Tag)
	}
	c.matcher = language.NewMatcher(c.tags)
	return c, nil
}

// For returns the messages that best match an Accept-Language header
// (English when nothing matches).
func (c *Catalog) For(acceptLanguage string) *Messages {
	tags, _, _ := language.ParseAcceptLanguage(acceptLanguage)
	if len(tags) > 32 {
		tags = tags[:32]
	}
	_, i, conf := c.matcher.Match(tags...)
	if conf == language.No {
		return c.langs[0]
	}
	return c.langs[i]
}

// T is the page text of key; the key itself when no language has it (a
// template asking for a key that does not exist shows as such in tests).
func (m *Messages) T(key string) string {
	if s, ok := m.page[key]; ok {
		return s
	}
	if m.en != nil {
		return m.en.T(key)
	}
	return key
}

func (m *Messages) typeText(t *taxonomy.Type) (msg, next taxonomy.Template) {
	for x := m; x != nil; x = x.en {
		if tt, ok := x.types[t.Name]; ok {
			return tt.message, tt.nextStep
		}
	}
	return t.Message, t.NextStep
}

// message renders e's message and next step in m's language.
func (m *Messages) message(e *event.Event) (msg, next string) {
	mt, nt := m.typeText(e.Type)
	v := e.Values()
	return mt.Render(&v), nt.Render(&v)
}

// Summarize turns a record into what the customer sees, in m's language.
func (m *Messages) Summarize(r *Record) *Shipment {
	evs := r.events()
	st := derive(evs)
	s := &Shipment{ShipmentID: r.ShipmentID, Timeline: []Entry{}, Notifications: []Notification{}}
	if c := st.current; c != nil {
		s.Carrier, s.TrackingNumber = c.Carrier, c.TrackingNumber
		s.CarrierName = c.CarrierName
		if s.CarrierName == "" {
			s.CarrierName = event.DisplayName(c.Carrier)
		}
		s.Milestone = c.Type.Milestone
		s.Status, s.NextStep = m.message(c)
		s.Headline = m.T("headline_" + c.Type.Milestone)
		s.Updated = st.last.OccurredAt
	}
	if o := st.open; o != nil {
		msg, next := m.message(o)
		s.OpenException = &Issue{EventType: o.Type.Name, Message: msg, NextStep: next, Since: o.OccurredAt}
		s.Stalled = o.Type.Stall
		if s.Stalled {
			s.Headline = m.T("headline_stalled")
			if next == "" {
				s.OpenException.NextStep = m.T("next_step_stalled")
			}
		} else if o.Type.Milestone == "exception" {
			s.Headline = m.T("headline_exception")
		}
		if s.OpenException.NextStep != "" {
			s.NextStep = s.OpenException.NextStep
		}
		if o != st.current {
			s.Status = msg
		}
	}
	s.CarrierEDD = st.edd
	s.EndedAt = st.endedAt
	for i := len(evs) - 1; i >= 0; i-- {
		if e := evs[i]; e.Source == event.FromCarrier && placeOf(&e.Location) != nil {
			s.LastLocation = placeOf(&e.Location)
			break
		}
	}
	rank := uint8(0)
	if st.current != nil {
		rank = st.current.Type.Rank
	}
	for _, ms := range progressSteps {
		r := milestoneRank(ms)
		s.Progress = append(s.Progress, Step{Milestone: ms, Label: m.T("step_" + ms), Reached: rank >= r})
	}
	for i := len(s.Progress) - 1; i >= 0; i-- {
		if s.Progress[i].Reached {
			s.Progress[i].Current = true
			break
		}
	}
	for i := len(evs) - 1; i >= 0; i-- {
		e := evs[i]
		if e.Type.Class == taxonomy.Noise {
			continue
		}
		msg, _ := m.message(e)
		s.Timeline = append(s.Timeline, Entry{OccurredAt: e.OccurredAt.UTC(), Local: e.Local(),
			EventType: e.Type.Name, Milestone: e.Type.Milestone, Message: msg, Place: placeOf(&e.Location)})
	}
	cmds := slices.Clone(r.Commands)
	slices.SortFunc(cmds, func(a, b detect.Command) int {
		if c := a.DecidedAt.Compare(b.DecidedAt); c != 0 {
			return c
		}
		return strings.Compare(a.CommandID, b.CommandID)
	})
	cmds = slices.CompactFunc(cmds, func(a, b detect.Command) bool { return a.CommandID == b.CommandID })
	for _, c := range cmds {
		s.Notifications = append(s.Notifications, Notification{Trigger: c.Trigger, EventType: c.EventType, Message: c.Message, DecidedAt: c.DecidedAt.UTC()})
	}
	s.PredictedDelivery = predicted(cmds, st)
	if w := s.PredictedDelivery; w != nil && st.open == nil && s.Milestone == "in_transit" {
		s.Headline = strings.ReplaceAll(m.T("headline_in_transit_likely"), "{likely}", dayText(w.Likely))
	}
	return s
}

// predicted is the window of the latest command (cmds by decision time)
// that carries the lane model's prediction, nil once the shipment has
// ended or when none does.
func predicted(cmds []detect.Command, st state) *Window {
	if !st.endedAt.IsZero() {
		return nil
	}
	for i := len(cmds) - 1; i >= 0; i-- {
		if p := cmds[i].PredictedDelivery; p != nil {
			return &Window{Earliest: p.Earliest, Likely: p.Likely, Latest: p.Latest, Confidence: p.Confidence}
		}
	}
	return nil
}

// dayText is a YYYY-MM-DD date as the page words it ("Tue 24 Nov"), or
// as it is when it is not one.
func dayText(d string) string {
	t, err := time.Parse(time.DateOnly, d)
	if err != nil {
		return d
	}
	return t.Format("Mon 2 Jan")
}

// milestoneRank is the taxonomy rank of milestone's types.
func milestoneRank(milestone string) uint8 {
	for _, t := range taxonomy.All() {
		if t.Milestone == milestone {
			return t.Rank
		}
	}
	return 0
}

// localTime formats a scan's local time for the page.
func localTime(t time.Time) string { return t.Format("Mon 2 Jan 2006, 15:04") }
