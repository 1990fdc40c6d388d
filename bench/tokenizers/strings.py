# The strings of the BERT check (docs/encodings.md): 29 fixed ones and 2000 random mixed-script ones (seeded).
# Usage: python3 strings.py OUT.jsonl
import sys
import json, random
fixed = ["Hello, world!", "The café's crème brûlée costs €5.", "naïve résumé façade Ångström", "ÀÉÎÕÜ àéîõü ñ ç ß",
 "中文字符测试，日本語のテキスト、한국어 텍스트", "Emoji 😀👍🏽 and 🇫🇷 flags", "unbelievablyunrecognizablesupercalifragilistic",
 "a"*120, "x"*100, "y"*101, "tabs\tand\nnewlines\r\nand  double  spaces", "\u00a0nbsp\u2003em\u3000ideo", "zero\u200bwidth\u200djoiner",
 "ctrl\x00\x01\x7f\u0085chars\ufffd", "ΟΔΥΣΣΕΥΣ ΣΑΣ Σ ΑΣ. ΑΣ1 ΑΣ-Β", "ΣΊΣΥΦΟΣ", "don't won't I'm it's", "3.14159 1,000,000 $100 50%", "e-mail@example.com http://x.org/a?b=c",
 "Ελληνικά Русский עברית العربية हिन्दी ไทย", "combining e\u0301 vs \u00e9, a\u0308", "ﬁ ligature Ⅻ ① ｆｕｌｌ", "İstanbul ǅ ẞ Σσς",
 "", "   ", "[CLS] [SEP] [MASK] [UNK] [PAD]", "¿Qué? ¡Sí! «quotes» „German“ “curly”", "word\u2028line\u2029para", "\x1c\x1d\x1e\x1fsep"]
alph = [(0x20,0x7e),(0xa0,0x24f),(0x300,0x36f),(0x370,0x3ff),(0x400,0x4ff),(0x590,0x5ff),(0x600,0x6ff),(0x900,0x97f),(0xe00,0xe7f),
        (0x1100,0x11ff),(0x2000,0x206f),(0x3000,0x30ff),(0x4e00,0x4fff),(0xac00,0xacff),(0xff00,0xffef),(0x1f300,0x1f64f),(0x0,0x1f),(0x20000,0x200ff)]
r = random.Random(28)
rand = []
for _ in range(2000):
    n = r.randint(0, 40); s = []
    for _ in range(n):
        if r.random() < 0.2: s.append(" ")
        else:
            lo, hi = r.choice(alph); cp = r.randint(lo, hi)
            if 0xd800 <= cp <= 0xdfff: cp = 0x41
            s.append(chr(cp))
    rand.append("".join(s))
with open(sys.argv[1], "w") as f:
    for t in fixed + rand: f.write(json.dumps(t) + "\n")
