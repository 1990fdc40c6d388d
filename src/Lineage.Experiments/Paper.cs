namespace Lineage.Experiments;

/// <summary>A paper a model comes from.</summary>
/// <param name="Authors">First author "et al." or the author list.</param>
/// <param name="Year">Publication year.</param>
/// <param name="Title">Title.</param>
/// <param name="Url">Where to read it (arXiv or the publisher).</param>
public sealed record Paper(string Authors, int Year, string Title, string Url)
{
    /// <summary>"Authors Year, Title".</summary>
    public override string ToString() => $"{Authors} {Year}, \"{Title}\"";
}

/// <summary>The papers Lineage implements, cited by experiments, the report and the docs.</summary>
public static class Papers
{
    /// <summary>Back-propagation: hidden units learn representations.</summary>
    public static readonly Paper Rumelhart1986 = new("Rumelhart, Hinton & Williams", 1986, "Learning representations by back-propagating errors", "https://doi.org/10.1038/323533a0");
    /// <summary>Fashion-MNIST, the default image set.</summary>
    public static readonly Paper Xiao2017 = new("Xiao, Rasul & Vollgraf", 2017, "Fashion-MNIST: a Novel Image Dataset for Benchmarking Machine Learning Algorithms", "https://arxiv.org/abs/1708.07747");
    /// <summary>Inverse document frequency.</summary>
    public static readonly Paper SparckJones1972 = new("Spärck Jones", 1972, "A statistical interpretation of term specificity and its application in retrieval", "https://doi.org/10.1108/eb026526");
    /// <summary>TF-IDF term weighting.</summary>
    public static readonly Paper Salton1988 = new("Salton & Buckley", 1988, "Term-weighting approaches in automatic text retrieval", "https://doi.org/10.1016/0306-4573(88)90021-0");
    /// <summary>Distributional structure: words are known by their contexts; the bag-of-words view.</summary>
    public static readonly Paper Harris1954 = new("Harris", 1954, "Distributional Structure", "https://doi.org/10.1080/00437956.1954.11659520");
    /// <summary>SDCA, the linear trainer the encodings chapter classifies with.</summary>
    public static readonly Paper ShalevShwartz2013 = new("Shalev-Shwartz & Zhang", 2013, "Stochastic Dual Coordinate Ascent Methods for Regularized Loss Minimization", "https://jmlr.org/papers/v14/shalev-shwartz13a.html");
    /// <summary>Word2Vec.</summary>
    public static readonly Paper Mikolov2013 = new("Mikolov et al.", 2013, "Distributed Representations of Words and Phrases and their Compositionality", "https://arxiv.org/abs/1310.4546");
    /// <summary>GloVe.</summary>
    public static readonly Paper Pennington2014 = new("Pennington, Socher & Manning", 2014, "GloVe: Global Vectors for Word Representation", "https://aclanthology.org/D14-1162/");
    /// <summary>Elman RNN.</summary>
    public static readonly Paper Elman1990 = new("Elman", 1990, "Finding Structure in Time", "https://doi.org/10.1207/s15516709cog1402_1");
    /// <summary>Vanishing gradients in recurrent networks.</summary>
    public static readonly Paper Bengio1994 = new("Bengio, Simard & Frasconi", 1994, "Learning Long-Term Dependencies with Gradient Descent is Difficult", "https://doi.org/10.1109/72.279181");
    /// <summary>LSTM.</summary>
    public static readonly Paper Hochreiter1997 = new("Hochreiter & Schmidhuber", 1997, "Long Short-Term Memory", "https://doi.org/10.1162/neco.1997.9.8.1735");
    /// <summary>GRU.</summary>
    public static readonly Paper Cho2014 = new("Cho et al.", 2014, "Learning Phrase Representations using RNN Encoder-Decoder for Statistical Machine Translation", "https://arxiv.org/abs/1406.1078");
    /// <summary>ByteNet.</summary>
    public static readonly Paper Kalchbrenner2016 = new("Kalchbrenner et al.", 2016, "Neural Machine Translation in Linear Time", "https://arxiv.org/abs/1610.10099");
    /// <summary>The Transformer.</summary>
    public static readonly Paper Vaswani2017 = new("Vaswani et al.", 2017, "Attention Is All You Need", "https://arxiv.org/abs/1706.03762");
    /// <summary>Sentence-BERT.</summary>
    public static readonly Paper Reimers2019 = new("Reimers and Gurevych", 2019, "Sentence-BERT: Sentence Embeddings using Siamese BERT-Networks", "https://arxiv.org/abs/1908.10084");
    /// <summary>MiniLM (all-MiniLM-L6-v2's base).</summary>
    public static readonly Paper Wang2020b = new("Wang et al.", 2020, "MiniLM: Deep Self-Attention Distillation for Task-Agnostic Compression of Pre-Trained Transformers", "https://arxiv.org/abs/2002.10957");
    /// <summary>Arctic-embed.</summary>
    public static readonly Paper Merrick2024 = new("Merrick et al.", 2024, "Arctic-Embed: Scalable, Efficient, and Accurate Text Embedding Models", "https://arxiv.org/abs/2405.05374");
    /// <summary>BERT.</summary>
    public static readonly Paper Devlin2019 = new("Devlin et al.", 2019, "BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding", "https://arxiv.org/abs/1810.04805");
    /// <summary>RoBERTa.</summary>
    public static readonly Paper Liu2019 = new("Liu et al.", 2019, "RoBERTa: A Robustly Optimized BERT Pretraining Approach", "https://arxiv.org/abs/1907.11692");
    /// <summary>GPT-1.</summary>
    public static readonly Paper Radford2018 = new("Radford et al.", 2018, "Improving Language Understanding by Generative Pre-Training", "https://cdn.openai.com/research-covers/language-unsupervised/language_understanding_paper.pdf");
    /// <summary>GPT-2.</summary>
    public static readonly Paper Radford2019 = new("Radford et al.", 2019, "Language Models are Unsupervised Multitask Learners", "https://cdn.openai.com/better-language-models/language_models_are_unsupervised_multitask_learners.pdf");
    /// <summary>T5.</summary>
    public static readonly Paper Raffel2020 = new("Raffel et al.", 2020, "Exploring the Limits of Transfer Learning with a Unified Text-to-Text Transformer", "https://arxiv.org/abs/1910.10683");
    /// <summary>ViT.</summary>
    public static readonly Paper Dosovitskiy2021 = new("Dosovitskiy et al.", 2021, "An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale", "https://arxiv.org/abs/2010.11929");
    /// <summary>Swin.</summary>
    public static readonly Paper Liu2021 = new("Liu et al.", 2021, "Swin Transformer: Hierarchical Vision Transformer using Shifted Windows", "https://arxiv.org/abs/2103.14030");
    /// <summary>CLIP.</summary>
    public static readonly Paper Radford2021 = new("Radford et al.", 2021, "Learning Transferable Visual Models From Natural Language Supervision", "https://arxiv.org/abs/2103.00020");
    /// <summary>SigLIP.</summary>
    public static readonly Paper Zhai2023 = new("Zhai et al.", 2023, "Sigmoid Loss for Language Image Pre-Training", "https://arxiv.org/abs/2303.15343");
    /// <summary>RT-2.</summary>
    public static readonly Paper Brohan2023 = new("Brohan et al.", 2023, "RT-2: Vision-Language-Action Models Transfer Web Knowledge to Robotic Control", "https://arxiv.org/abs/2307.15818");
    /// <summary>OpenVLA.</summary>
    public static readonly Paper Kim2024 = new("Kim et al.", 2024, "OpenVLA: An Open-Source Vision-Language-Action Model", "https://arxiv.org/abs/2406.09246");
    /// <summary>MOO: grounding the instruction's objects with a pretrained vision-language model for an RT-1 policy.</summary>
    public static readonly Paper Stone2023 = new("Stone et al.", 2023, "Open-World Object Manipulation using Pre-trained Vision-Language Models", "https://arxiv.org/abs/2303.00905");
    /// <summary>Longformer.</summary>
    public static readonly Paper Beltagy2020 = new("Beltagy, Peters & Cohan", 2020, "Longformer: The Long-Document Transformer", "https://arxiv.org/abs/2004.05150");
    /// <summary>BigBird.</summary>
    public static readonly Paper Zaheer2020 = new("Zaheer et al.", 2020, "Big Bird: Transformers for Longer Sequences", "https://arxiv.org/abs/2007.14062");
    /// <summary>Reformer.</summary>
    public static readonly Paper Kitaev2020 = new("Kitaev, Kaiser & Levskaya", 2020, "Reformer: The Efficient Transformer", "https://arxiv.org/abs/2001.04451");
    /// <summary>Linformer.</summary>
    public static readonly Paper Wang2020 = new("Wang et al.", 2020, "Linformer: Self-Attention with Linear Complexity", "https://arxiv.org/abs/2006.04768");
    /// <summary>Hyena.</summary>
    public static readonly Paper Poli2023 = new("Poli et al.", 2023, "Hyena Hierarchy: Towards Larger Convolutional Language Models", "https://arxiv.org/abs/2302.10866");
    /// <summary>Mamba.</summary>
    public static readonly Paper Gu2023 = new("Gu & Dao", 2023, "Mamba: Linear-Time Sequence Modeling with Selective State Spaces", "https://arxiv.org/abs/2312.00752");
    /// <summary>FlashAttention.</summary>
    public static readonly Paper Dao2022 = new("Dao et al.", 2022, "FlashAttention: Fast and Memory-Efficient Exact Attention with IO-Awareness", "https://arxiv.org/abs/2205.14135");
    /// <summary>FlashAttention-2.</summary>
    public static readonly Paper Dao2023 = new("Dao", 2023, "FlashAttention-2: Faster Attention with Better Parallelism and Work Partitioning", "https://arxiv.org/abs/2307.08691");
    /// <summary>FlashAttention-3.</summary>
    public static readonly Paper Shah2024 = new("Shah et al.", 2024, "FlashAttention-3: Fast and Accurate Attention with Asynchrony and Low-precision", "https://arxiv.org/abs/2407.08608");
    /// <summary>Grouped-query attention.</summary>
    public static readonly Paper Ainslie2023 = new("Ainslie et al.", 2023, "GQA: Training Generalized Multi-Query Transformer Models from Multi-Head Checkpoints", "https://arxiv.org/abs/2305.13245");
}
