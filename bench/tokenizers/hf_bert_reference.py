# A port of Hugging Face's tokenization_bert.py BasicTokenizer + WordpieceTokenizer (the slow tokenizer; uncased,
# strip_accents=None, so accents are stripped), written from its description, to check Lineage's WordPiece and
# Microsoft.ML.Tokenizers' BertTokenizer against BERT. Special tokens written in the text are not recognised here.
# Usage: python3 hf_bert_reference.py VOCAB STRINGS.jsonl nfc|nonfc OUT.jsonl  (nfc: newer transformers NFC-normalise first)
# Then: dotnet bench/Lineage.Benchmarks/bin/Release/net10.0/Lineage.Benchmarks.dll tokenizers-hf-check VOCAB OUT.jsonl
import unicodedata, json, sys, random
def is_ws(c): return c in " \t\n\r" or unicodedata.category(c) == "Zs"
def is_ctrl(c):
    if c in "\t\n\r": return False
    return unicodedata.category(c).startswith("C")
def is_punc(c):
    cp = ord(c)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126: return True
    return unicodedata.category(c).startswith("P")
def is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F
            or 0x2B740 <= cp <= 0x2B81F or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)
def basic(text, nfc):
    out = []
    for c in text:
        cp = ord(c)
        if cp == 0 or cp == 0xFFFD or is_ctrl(c): continue
        out.append(" " if is_ws(c) else c)
    text = "".join(out)
    text = "".join(f" {c} " if is_cjk(ord(c)) else c for c in text)
    if nfc: text = unicodedata.normalize("NFC", text)
    toks = []
    for tok in text.strip().split():
        tok = tok.lower()
        tok = "".join(c for c in unicodedata.normalize("NFD", tok) if unicodedata.category(c) != "Mn")
        cur = []
        for c in tok:
            if is_punc(c):
                if cur: toks.append("".join(cur)); cur = []
                toks.append(c)
            else: cur.append(c)
        if cur: toks.append("".join(cur))
    return " ".join(toks).strip().split()
def wordpiece(vocab, tokens):
    ids = []
    for tok in tokens:
        if len(tok) > 100: ids.append(vocab["[UNK]"]); continue
        start, sub, bad = 0, [], False
        while start < len(tok):
            end, cur = len(tok), None
            while start < end:
                s = tok[start:end]
                if start > 0: s = "##" + s
                if s in vocab: cur = s; break
                end -= 1
            if cur is None: bad = True; break
            sub.append(vocab[cur]); start = end
        ids.extend([vocab["[UNK]"]] if bad else sub)
    return ids
if __name__ == "__main__":
    vocab = {l.rstrip("\r\n"): i for i, l in enumerate(open(sys.argv[1], encoding="utf-8"))}
    nfc = sys.argv[3] == "nfc"
    with open(sys.argv[2], encoding="utf-8") as f, open(sys.argv[4], "w", encoding="utf-8") as o:
        for line in f:
            t = json.loads(line)
            o.write(json.dumps({"text": t, "ids": wordpiece(vocab, basic(t, nfc))}, ensure_ascii=True) + "\n")
