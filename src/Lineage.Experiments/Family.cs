using System.Text.Json.Serialization;

namespace Lineage.Experiments;

/// <summary>A model family: one chapter of the tour and one page of docs/. Declared in lineage order.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<Family>))]
public enum Family
{
    /// <summary>Learned features on the CPU: the neural stack itself (MLP on Fashion-MNIST).</summary>
    Foundations,
    /// <summary>One-hot, bag-of-words, TF-IDF.</summary>
    Encodings,
    /// <summary>Word2Vec, GloVe.</summary>
    Embeddings,
    /// <summary>RNN, LSTM, GRU, ByteNet.</summary>
    Sequence,
    /// <summary>BERT, RoBERTa, GPT, T5.</summary>
    Transformers,
    /// <summary>ViT, Swin.</summary>
    Vision,
    /// <summary>CLIP, SigLIP.</summary>
    Multimodal,
    /// <summary>Vision-language-action (RT-2 / OpenVLA style).</summary>
    Action,
    /// <summary>Longformer, BigBird, Reformer, Linformer, Hyena, Mamba.</summary>
    LongContext,
    /// <summary>FlashAttention-style kernels, MQA/GQA, low precision.</summary>
    Attention,
    /// <summary>Every representation on the same real tasks (the lineage benchmark); last in the tour.</summary>
    Lineage,
}

/// <summary>What a chapter says before its experiments: why the family exists and where to read more.</summary>
/// <param name="Family">The family.</param>
/// <param name="Slug">Id used in results.json, anchors and the docs file name (<c>docs/{Slug}.md</c>).</param>
/// <param name="Title">Chapter title.</param>
/// <param name="Why">Which limitation of the predecessor it fixes, in two or three sentences.</param>
/// <param name="Papers">Main papers.</param>
public sealed record FamilyInfo(Family Family, string Slug, string Title, string Why, IReadOnlyList<Paper> Papers);

/// <summary>The chapters of the lineage, in order.</summary>
public static class Families
{
    /// <summary>Every family, in lineage order.</summary>
    public static IReadOnlyList<FamilyInfo> All { get; } =
    [
        new(Family.Foundations, "foundations", "Foundations: learned features on a CPU",
            "Hand-made features (pixels, counts) leave the learning to a linear model. A hidden layer trained by back-propagation " +
            "learns its own features; every model after it is a more structured way of doing that. This chapter also proves the " +
            "neural stack (TorchSharp on libtorch) trains on real data on this machine.",
            [Papers.Rumelhart1986, Papers.Xiao2017]),
        new(Family.Encodings, "encodings", "Encodings: one-hot, bag-of-words, TF-IDF",
            "Text must become numbers before anything is learned. One-hot vectors are orthogonal, so no two words are similar; " +
            "bag-of-words loses order; TF-IDF down-weights words that occur everywhere. All are sparse and as long as the vocabulary.",
            [Papers.Harris1954, Papers.SparckJones1972, Papers.Salton1988]),
        new(Family.Embeddings, "embeddings", "Word embeddings: Word2Vec and GloVe",
            "Sparse encodings know no similarity. Predicting a word's context (Word2Vec) or factorising co-occurrence counts (GloVe) " +
            "gives dense vectors in which related words are close and offsets carry meaning: king − man + woman ≈ queen.",
            [Papers.Mikolov2013, Papers.Pennington2014]),
        new(Family.Sequence, "sequence", "Sequence models: RNN, LSTM, GRU, ByteNet",
            "A bag of embeddings forgets order. Recurrence carries a state across time steps; gates (LSTM, GRU) keep gradients from " +
            "vanishing so the state lasts; dilated convolutions (ByteNet) remove the step-by-step bottleneck and train in parallel.",
            [Papers.Elman1990, Papers.Hochreiter1997, Papers.Cho2014, Papers.Kalchbrenner2016]),
        new(Family.Transformers, "transformers", "Transformers: encoder, decoder, encoder-decoder",
            "Recurrence is sequential and forgets over distance. Self-attention connects every pair of positions in one step; stacked " +
            "three ways it gives BERT (bidirectional encoder), GPT (causal decoder) and T5 (text-to-text encoder-decoder).",
            [Papers.Vaswani2017, Papers.Devlin2019, Papers.Liu2019, Papers.Radford2018, Papers.Radford2019, Papers.Raffel2020]),
        new(Family.Vision, "vision", "Vision transformers: ViT and Swin",
            "Convolutions build in locality; a transformer over image patches (ViT) learns it from data instead, and Swin's shifted " +
            "windows bring back locality and a hierarchy so the cost grows linearly with image size.",
            [Papers.Dosovitskiy2021, Papers.Liu2021]),
        new(Family.Multimodal, "multimodal", "Multimodal: CLIP and SigLIP",
            "Classifiers know only their fixed labels. Contrastive training of an image and a text encoder into one space (CLIP's " +
            "softmax, SigLIP's pairwise sigmoid) lets a sentence name any class.",
            [Papers.Radford2021, Papers.Zhai2023]),
        new(Family.Action, "action", "Vision-language-action",
            "A vision-language model describes; writing robot actions as tokens lets the same model act (RT-2, OpenVLA). Lineage's " +
            "tabletop is a simulator built from real images, and says so.",
            [Papers.Brohan2023, Papers.Kim2024, Papers.Stone2023]),
        new(Family.LongContext, "long-context", "Long context: sparse, low-rank, hashed and state-space mixers",
            "Full attention costs O(n²). Longformer and BigBird attend sparsely, Reformer hashes, Linformer projects to low rank, " +
            "Hyena and Mamba replace attention by long convolutions and selective state spaces.",
            [Papers.Beltagy2020, Papers.Zaheer2020, Papers.Kitaev2020, Papers.Wang2020, Papers.Poli2023, Papers.Gu2023]),
        new(Family.Attention, "attention-kernels", "Attention kernels: FlashAttention, MQA/GQA, low precision",
            "Exact attention need not store the n×n matrix: tiles and an online softmax keep memory linear (FlashAttention 1–3); " +
            "sharing keys and values across heads (MQA/GQA) shrinks the KV cache; FP8 trades precision for speed.",
            [Papers.Dao2022, Papers.Dao2023, Papers.Shah2024, Papers.Ainslie2023]),
        new(Family.Lineage, "lineage", "The lineage, measured",
            "Each chapter measures its own model on its own data, so none says what a step of the lineage buys on one task. Here the " +
            "representations meet on the same real splits through one probe: what TF-IDF adds to counts, what dense vectors trained on " +
            "the task add (or do not), and what a pretrained sentence encoder adds, each with its cost.",
            [Papers.SparckJones1972, Papers.Mikolov2013, Papers.Pennington2014, Papers.Reimers2019, Papers.Wang2020b]),
    ];

    /// <summary>The chapter of a family.</summary>
    public static FamilyInfo Of(Family family) => All.First(f => f.Family == family);
}
