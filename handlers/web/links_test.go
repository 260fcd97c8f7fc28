package web

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/huzhu-station/huzhu/bot"
	"github.com/huzhu-station/huzhu/bot/store/storetest"
)

// TestLinkKinds checks what each kind of link shows: staff read what
// staff read privately, an administrator every station, and a link asked
// for in the group goes privately, never into the group.
func TestLinkKinds(t *testing.T) {
	w := newWorld(t, storetest.Miniredis(t))
	w.setUp()

	for _, out := range w.say("王阿姨", false, "网页") {
		if out.Chat.Kind == bot.Group && strings.Contains(out.Text, "/w/") {
			t.Errorf("a personal link went to the group: %q", out.Text)
		}
	}
	staff := w.link("张站长", "网页")
	if _, body := w.get(staff + "issue/1"); !strings.Contains(body, "王阿姨") {
		t.Errorf("staff do not see who made a private report:\n%s", body)
	}
	if _, body := w.get(staff); !strings.Contains(body, "badge") {
		t.Errorf("a staff page is not marked as staff's")
	}
	station := w.link("张站长", "本站 网页")
	if _, body := w.get(station + "issue/1"); strings.Contains(body, "王阿姨") {
		t.Errorf("the station's page names a private report's reporter")
	}
	if code, _ := w.get(station + "issues?status=nonsense"); code != http.StatusBadRequest {
		t.Errorf("bad filter: %d; want 400", code)
	}
	if code, _ := w.get(station + "polls?x=1"); code != http.StatusBadRequest {
		t.Errorf("a query on a page that takes none: %d; want 400", code)
	}
	if code, _ := w.get(station + "issue/99"); code != http.StatusNotFound {
		t.Errorf("no such problem: %d; want 404", code)
	}

	admin := w.link("街道管理员", "网页")
	code, body := w.get(admin)
	if code != 200 || !strings.Contains(body, "阳光互助站") || !strings.Contains(body, `id="stations"`) {
		t.Errorf("admin page: %d\n%s", code, body)
	}
	if code, _ := w.get(admin + "issues"); code != http.StatusNotFound {
		t.Errorf("admin link on a station page: %d; want 404", code)
	}
	// A person who is not a member of staff may not give the station's link.
	if out := w.say("王阿姨", true, "本站 网页"); len(out) == 0 || strings.Contains(out[0].Text, "/w/") {
		t.Errorf("a resident got the station's link: %+v", out)
	}
	w.say("王阿姨", true, "网页 重置")
	if out := w.say("王阿姨", true, "网页 重置"); len(out) == 0 || !strings.Contains(out[0].Text, "0") {
		t.Errorf("second reset: %+v", out)
	}
}

// TestReportWithPhoto reports a problem with a photo from a page: it is
// the command's report, privately made, and its photo is shown.
func TestReportWithPhoto(t *testing.T) {
	w := newWorld(t, storetest.Miniredis(t))
	w.setUp()
	base := w.link("赵大哥", "网页")
	pic := bytes.NewBuffer(tinyPNG())
	post := func(photo []byte) (int, string) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		for k, v := range map[string]string{"csrf": csrfFor(strings.Split(base, "/")[2]), "action": "report", "text": "东门路灯不亮",
			"nonce": randomID()} {
			_ = mw.WriteField(k, v)
		}
		fw, _ := mw.CreateFormFile("photo", "p.png")
		_, _ = fw.Write(photo)
		mw.Close()
		resp, err := http.Post(w.http.URL+base+"act", mw.FormDataContentType(), &body)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	code, body := post(pic.Bytes())
	if code != 200 || !strings.Contains(body, "#4") {
		t.Fatalf("report: %d\n%s", code, body)
	}
	is, err := w.st.Issue(t.Context(), 1, 4)
	if err != nil || len(is.Photos) != 1 || !is.Anonymous {
		t.Fatalf("problem 4 = %+v, %v; want one photo, anonymous as a private report is", is, err)
	}
	station := w.link("张站长", "本站 网页")
	_, page := w.get(station + "issue/4")
	if !strings.Contains(page, "photo/4/0") {
		t.Errorf("the photo is not on the page:\n%s", page)
	}
	resp, err := http.Get(w.http.URL + station + "photo/4/0")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(got, pic.Bytes()) {
		t.Errorf("photo: %s, %d bytes", resp.Header.Get("Content-Type"), len(got))
	}
	if code, _ := post(bytes.Repeat([]byte("x"), 2<<20)); code != http.StatusRequestEntityTooLarge {
		t.Errorf("a 2 MB photo: %d; want 413", code)
	}
	if code, _ := post([]byte("not a picture at all")); code != http.StatusRequestEntityTooLarge {
		t.Errorf("not a picture: %d; want 413", code)
	}
}

// tinyPNG is an 8×8 picture.
func tinyPNG() []byte {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	var pic bytes.Buffer
	if err := png.Encode(&pic, img); err != nil {
		panic(err)
	}
	return pic.Bytes()
}

// TestPlatformPhotoShown: a photo the platform keeps (Telegram's) is
// fetched from it for the page; one it no longer has is a 404.
func TestPlatformPhotoShown(t *testing.T) {
	w := newWorld(t, storetest.Miniredis(t))
	w.setUp()
	user := bot.User{Platform: "console", ID: "赵大哥", Name: "赵大哥"}
	for i, ref := range []string{"tg-lamp", "tg-gone"} {
		w.bot.Receive(t.Context(), &bot.Message{ID: "photo" + strconv.Itoa(i), Sender: user, Time: w.clock.Now(),
			Chat:        bot.Chat{Platform: "console", ID: testGroup, Kind: bot.Group, Title: "阳光小区群"},
			Text:        "报事 东门路灯不亮",
			Attachments: []bot.Attachment{{Kind: bot.AttachmentPhoto, Ref: ref}}})
	}
	station := w.link("张站长", "本站 网页")
	if _, page := w.get(station + "issue/4"); !strings.Contains(page, "photo/4/0") {
		t.Fatalf("the platform's photo is not on the page:\n%s", page)
	}
	resp, err := http.Get(w.http.URL + station + "photo/4/0")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Header.Get("Content-Type") != "image/png" || !bytes.Equal(got, tinyPNG()) {
		t.Errorf("photo: %d %s, %d bytes", resp.StatusCode, resp.Header.Get("Content-Type"), len(got))
	}
	if code, _ := w.get(station + "photo/5/0"); code != http.StatusNotFound {
		t.Errorf("a photo the platform no longer has: %d; want 404", code)
	}
}

// TestMiniAppLogin opens a Telegram user's own page from signed initData.
func TestMiniAppLogin(t *testing.T) {
	w := newWorld(t, storetest.Miniredis(t))
	w.setUp()
	// A Telegram resident of the station.
	tg := bot.User{Platform: "telegram", ID: "4242", Name: "王阿姨"}
	w.bot.Receive(t.Context(), &bot.Message{ID: "tg1", Chat: bot.Chat{Platform: "console", ID: testGroup, Kind: bot.Group},
		Sender: tg, Text: "本站", Time: w.clock.Now()})
	if err := w.st.SetUserStation(t.Context(), tg.Key(), 1); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	data := signInitData(map[string]string{"auth_date": strconv.FormatInt(w.clock.Now().Unix(), 10),
		"user": `{"id":4242,"first_name":"王阿姨"}`}, testBotToken)
	resp, err := client.PostForm(w.http.URL+"/tg", map[string][]string{"initData": {data}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/w/") {
		t.Fatalf("mini app login: %d %q", resp.StatusCode, loc)
	}
	if code, body := w.get(loc + "polls"); code != 200 || !strings.Contains(body, `name="option"`) {
		t.Errorf("the mini app's page: %d", code)
	}
	bad := strings.Replace(data, "4242", "4243", 1)
	resp, err = client.PostForm(w.http.URL+"/tg", map[string][]string{"initData": {bad}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("forged initData: %d; want 404", resp.StatusCode)
	}
}

// TestMiniAppButton: with an https address, a personal link comes with a
// button that opens the page as a Telegram Mini App.
func TestMiniAppButton(t *testing.T) {
	w := newWorldAt(t, storetest.Miniredis(t), "https://huzhu.example.org")
	w.setUp()
	out := w.say("王阿姨", true, "网页")
	if len(out) != 1 || len(out[0].Buttons) != 1 || out[0].Buttons[0][0].WebApp != "https://huzhu.example.org/tg" ||
		!strings.Contains(out[0].Text, "https://huzhu.example.org/w/") {
		t.Errorf("网页 with https = %+v", out)
	}
	if out := w.say("张站长", true, "本站 网页"); len(out) != 1 || len(out[0].Buttons) != 0 {
		t.Errorf("the station's link comes with a button: %+v", out)
	}
}
