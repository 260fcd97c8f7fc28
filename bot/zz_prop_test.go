package bot
import ("testing";"math/rand";"strconv")
func TestZZProp(t *testing.T){
 alpha := []rune("0123456789零〇一二两三四五六七八九十百千万亿壹拾佰仟-—.,#幢栋号楼单元室座 元块角毛分¥rmbAa👩\u200d💻\u200b第No负")
 rng := rand.New(rand.NewSource(2))
 bad := 0
 for k := 0; k < 3000000 && bad < 15; k++ {
  n := 1+rng.Intn(12)
  rs := make([]rune, n)
  for i := range rs { rs[i] = alpha[rng.Intn(len(alpha))] }
  s := string(rs)
  if Normalize(Normalize(s)) != Normalize(s) { t.Errorf("idem %q", s); bad++ }
  if v, err := ParseChineseInt(s); err == nil {
    if w, err := ParseChineseInt(strconv.FormatInt(v,10)); err != nil || w != v { t.Errorf("int %q", s); bad++ }
  }
  if f, err := ParseAmount(s); err == nil {
    if f < 1 || f > MaxAmountFen { t.Errorf("amt range %q", s); bad++ }
    if g, err := ParseAmount(FormatAmount(f)); err != nil || g != f { t.Errorf("amt rt %q", s); bad++ }
  }
  if r, err := ParseRoom(s); err == nil {
    a, e1 := ParseRoom(r.String()); b, e2 := ParseRoom(r.Key())
    if e1 != nil || e2 != nil || a != r || b != r { t.Errorf("room %q %#v", s, r); bad++ }
  }
  if r, rest, err := CutRoom(s); err == nil {
    a, e1 := ParseRoom(r.String()); if e1 != nil || a != r { t.Errorf("cut %q %#v %q", s, r, rest); bad++ }
    if rest != "" { if g, again, err := CutRoom(r.Key()+" "+rest); err != nil || g != r || again != rest { t.Errorf("cut rest %q %#v %q -> %q", s, r, rest, again); bad++ } }
  }
  if b, err := ParseBuilding(s); err == nil {
    if c, err := ParseBuilding(b+"幢"); err != nil || c != b { t.Errorf("bld %q", s); bad++ }
  }
  if v, err := ParseRef(s); err == nil && (v < 1 || v > 999999) { t.Errorf("ref %q", s); bad++ }
 }
}
