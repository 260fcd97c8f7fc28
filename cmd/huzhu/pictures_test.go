package main

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestConsolePictures runs the console on an embedded store in a data
// directory: 统计 and 众筹 N answer with their text and a chart, written
// under the data directory's images/ as a PNG whose path is printed.
func TestConsolePictures(t *testing.T) {
	if testing.Short() {
		t.Skip("starts the embedded store")
	}
	dir := t.TempDir()
	input := ":chat 测试群\n甲: 建站 清川佳园互助站\n乙: 报事 3幢楼道漏水\n甲: 统计\n甲: 众筹 新建 3幢安全门 目标10200元 每户300元\n甲: 众筹 1\n"
	var out, errs bytes.Buffer
	getenv := func(k string) string {
		if k == "LOG_LEVEL" {
			return "error"
		}
		return ""
	}
	if err := run(context.Background(), []string{"console", "--data", dir}, getenv, strings.NewReader(input), &out, &errs); err != nil {
		t.Fatalf("console: %v\n%s", err, errs.String())
	}
	paths := regexp.MustCompile(`\[图片\] (\S+\.png)`).FindAllStringSubmatch(out.String(), -1)
	if len(paths) != 2 {
		t.Fatalf("want a picture for 统计 and one for 众筹 1, got %d:\n%s", len(paths), out.String())
	}
	for _, p := range paths {
		if filepath.Dir(p[1]) != filepath.Join(dir, "images") {
			t.Errorf("picture written to %s, not under the data directory", p[1])
		}
		b, err := os.ReadFile(p[1])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := png.Decode(bytes.NewReader(b)); err != nil {
			t.Errorf("%s is no PNG: %v", p[1], err)
		}
	}
	if !strings.Contains(out.String(), "报事1件") {
		t.Errorf("统计 lost its text:\n%s", out.String())
	}
}
