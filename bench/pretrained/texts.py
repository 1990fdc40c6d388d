# Writes 32 texts of about 128 WordPieces each (a help-text paragraph rotated word by word), one per line, to stdout.
words = ("To insert a table into a text document, choose Table - Insert Table, then enter the number of rows and columns; "
         "the spam filter moves messages from unknown senders into a separate folder, where you can review them before they are deleted. "
         "Press Shift+F1 and point to a control to learn more about it, or open the Help menu and search the index for a keyword.").split(" ")
for k in range(32):
    print(" ".join(words[(i + k) % len(words)] for i in range(107)))
