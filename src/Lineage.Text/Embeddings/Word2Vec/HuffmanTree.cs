namespace Lineage.Text.Embeddings.Word2Vec;

/// <summary>
/// The Huffman tree of hierarchical softmax (Mikolov et al. 2013b, §2.1; word2vec.c <c>CreateBinaryTree</c>):
/// frequent words get short codes, so a softmax over V words costs about log₂V sigmoid units. Inner node n
/// (0 ≤ n &lt; V−1) owns row n of the output matrix; the root is node V−2.
/// </summary>
internal sealed class HuffmanTree
{
    private HuffmanTree(int[] offsets, byte[] codes, int[] points)
    {
        Offsets = offsets;
        Codes = codes;
        Points = points;
    }

    /// <summary>Word w's path is entries Offsets[w]..Offsets[w+1] of <see cref="Codes"/> and <see cref="Points"/>.</summary>
    public int[] Offsets { get; }

    /// <summary>Branch taken at each step (0 or 1), root first.</summary>
    public byte[] Codes { get; }

    /// <summary>Inner node visited at each step, root first.</summary>
    public int[] Points { get; }

    /// <summary>Builds the tree from counts sorted in descending order (as word2vec.c does, in O(V)).</summary>
    public static HuffmanTree Build(long[] counts)
    {
        int v = counts.Length;
        if (v < 2)
        {
            // One word: a single inner node with code 0 keeps the maths well defined.
            return new HuffmanTree([0, v == 1 ? 1 : 0], v == 1 ? [0] : [], v == 1 ? [0] : []);
        }

        var count = new long[2 * v - 1];
        var binary = new byte[2 * v - 1];
        var parent = new int[2 * v - 1];
        Array.Copy(counts, count, v);
        for (int i = v; i < count.Length; i++)
        {
            count[i] = long.MaxValue / 4;
        }

        int pos1 = v - 1, pos2 = v;
        int Smallest()
        {
            if (pos1 >= 0 && count[pos1] < count[pos2])
            {
                return pos1--;
            }

            return pos2++;
        }

        for (int a = 0; a < v - 1; a++)
        {
            int min1 = Smallest(), min2 = Smallest();
            count[v + a] = count[min1] + count[min2];
            parent[min1] = v + a;
            parent[min2] = v + a;
            binary[min2] = 1;
        }

        int root = 2 * v - 2;
        var offsets = new int[v + 1];
        var lengths = new int[v];
        for (int w = 0; w < v; w++)
        {
            int len = 0;
            for (int b = w; b != root; b = parent[b])
            {
                len++;
            }

            lengths[w] = len;
            offsets[w + 1] = offsets[w] + len;
        }

        var codes = new byte[offsets[v]];
        var points = new int[offsets[v]];
        for (int w = 0; w < v; w++)
        {
            // Walk up from the leaf, filling the path from its end so that it reads root first.
            int i = offsets[w + 1] - 1;
            for (int b = w; b != root; b = parent[b], i--)
            {
                codes[i] = binary[b];
                points[i] = parent[b] - v;
            }
        }

        return new HuffmanTree(offsets, codes, points);
    }
}
