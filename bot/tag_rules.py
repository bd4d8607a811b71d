"""The rule half of the offline tagger: a table of generic vocabulary mapped to taxonomy tags.

Why rules at all, beside the shipped model (``bot.tag_model``): the HF Daily Papers API carries a
title, an abstract and sometimes ``ai_keywords``, but no task labels, and a model fitted on 2,165
digest papers has never seen most task words; the rule scores are one of the model's inputs, so
this generic vocabulary still speaks for rare tags. A hand-written table of generic domain
vocabulary ("text-to-video", "VLM", "speech recognition"...) maps words to taxonomy tags; title and
keyword hits weigh more than abstract hits because titles name the task while abstracts also mention
related work. Generic task words ("segmentation",
"translation", "decoding") are damped when the text hardly speaks of their modality.

:class:`RuleTagger` is the tagger as it was before the model (the benchmark's "rules" rows).
Its optional learner: digest files carry reference tags written in a house style (which tasks
are named, when the modality tag is added). :meth:`RuleTagger.learn` reads digest-tagged papers and
learns three small things on top of the rules: per-tag term centroids (added to the rule scores),
how often each modality tag accompanies its tasks, and which rule-predicted tasks the house style
does not use (those are dropped). An empty store still tags sensibly with the rules alone.

RuleTagger's output shape (the house style of the digests: usually one task, often with its modality):
1–4 tags. At most one modality tag (Multimodal, NLP, CV, Audio, Tabular), ranked by evidence with
"Reinforcement Learning"/"Other" (tags in both roles) at the front, so
:func:`bot.taxonomy.modality_of` of the result is the paper's main modality; then tasks by
descending score. Never empty: with no evidence at all the answer is ``["Other"]``.

Matching works on tokens, not raw regexes, so 1,000 papers tag in a fraction of a second:
text is split on non-alphanumerics ("Text-to-Video" == "text to video"), plurals are folded
("LLMs" == "LLM", "images" == "image"), and cue tokens written with a capital letter
("RL", "VLM", "CLIP") match case-sensitively so ordinary words do not trigger acronyms. At each
position the longest cue wins and consumes its tokens, so "multimodal large language model"
counts for Multimodal only and not also as a plain "large language model".
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from functools import lru_cache

from bot.models import Paper
from bot.taxonomy import ALL_TAGS, MODALITIES, MODALITY_OF, TASKS

# ---------------------------------------------------------------------------------------------
# The rule table: tag -> {cue: weight}. Weights: 3 names the task outright, 2 is strong, 1 is a
# hint, below 1 a weak nudge. Cues are generic vocabulary only (no paper titles or model names
# beyond well-known families that define a task, e.g. "Whisper" for ASR).
# ---------------------------------------------------------------------------------------------

# fmt: off
CUES: dict[str, dict[str, float]] = {
    # ----- modality-level evidence (no specific task) -----
    "Multimodal": {
        "multimodal": 1.5, "multi modal": 1.5, "vision language": 2.0, "vision and language": 2.0,
        "visual language model": 2.5, "VLM": 2.5, "LVLM": 2.5, "MLLM": 2.5, "LMM": 2.5,
        "multimodal large language model": 3.0, "multimodal llm": 3.0, "large multimodal model": 3.0,
        "large vision language model": 3.0, "vision language model": 3.0, "image text": 1.0,
        "text image": 0.8, "cross modal": 1.0, "omni modal": 1.5, "audio visual": 1.5,
        "visual instruction": 1.5, "CLIP": 1.0, "interleaved": 1.0, "vision language action": 1.0,
        "GPT 4V": 1.5, "GPT 4o": 1.0, "LLaVA": 2.0, "text and image": 1.5, "image and text": 1.5,
        "visual question": 1.0, "visual reasoning": 1.5, "multimodal reasoning": 2.0,
        "GUI": 1.5, "GUI agent": 2.5, "screenshot": 1.0,
    },
    "Natural Language Processing": {
        "natural language processing": 2.0, "NLP": 2.0, "large language model": 2.0, "LLM": 2.0,
        "language model": 1.5, "LM": 1.0, "large reasoning model": 2.0, "LRM": 1.5, "text": 0.3,
        "textual": 0.3, "linguistic": 1.0, "corpus": 0.8, "corpora": 0.8, "token": 0.3,
        "chatbot": 1.5, "conversation": 1.0, "dialogue": 1.0, "natural language": 0.8,
        "multilingual": 1.5, "language": 0.3, "GPT": 0.8, "LLaMA": 1.0, "Llama": 1.0, "Qwen": 1.0,
        "prompt": 0.3, "prompting": 0.5, "in context learning": 1.0, "transformer": 0.3,
        "agentic": 0.5, "LLM agent": 2.0, "language agent": 2.0,
    },
    "Computer Vision": {
        "computer vision": 2.0, "image": 0.6, "visual": 0.5, "vision": 0.6, "pixel": 0.8, "video": 0.6,
        "3D": 0.6, "camera": 0.6, "scene": 0.4, "photo": 0.8, "photorealistic": 1.0, "ViT": 1.0,
        "vision transformer": 1.5, "convolutional": 0.8, "CNN": 0.8, "diffusion": 0.5,
    },
    "Audio": {
        "audio": 1.5, "speech": 1.5, "acoustic": 1.5, "sound": 1.0, "voice": 1.0, "spoken": 1.2,
        "music": 1.2, "speaker": 1.0, "waveform": 1.5, "spectrogram": 1.5, "phoneme": 1.2,
        "phonetic": 1.5, "phonological": 1.5, "prosody": 1.5, "utterance": 1.2,
    },
    "Tabular": {
        "tabular": 2.0, "tabular data": 2.5, "structured data": 1.0, "spreadsheet": 1.0,
    },
    # ----- Multimodal tasks -----
    "Audio-Text-to-Text": {
        "audio language model": 2.5, "large audio language model": 3.0, "LALM": 3.0, "audio llm": 3.0,
        "speech llm": 2.0, "audio understanding": 2.5, "audio question answering": 3.0,
        "audio captioning": 2.5, "spoken question answering": 2.5,
    },
    "Image-Text-to-Text": {
        "vision language model": 1.5, "VLM": 1.5, "LVLM": 1.5, "MLLM": 1.5, "LMM": 1.5,
        "multimodal large language model": 1.5, "multimodal llm": 1.5, "large multimodal model": 1.5,
        "large vision language model": 1.5, "image text to text": 3.0, "visual instruction tuning": 2.0,
        "image understanding": 1.0, "visual understanding": 1.0, "LLaVA": 1.5,
    },
    "Image-Text-to-Image": {
        "image text to image": 3.0, "instruction based image editing": 2.5, "instruction guided": 1.0,
        "text guided image editing": 2.5, "subject driven": 2.0, "reference image": 1.0,
        "personalized generation": 1.5, "customized generation": 1.5, "identity preserving": 1.0,
    },
    "Image-Text-to-Video": {
        "image text to video": 3.0, "text image to video": 3.0, "reference image": 0.5,
        "reference video generation": 1.5,
    },
    "Visual Question Answering": {
        "visual question answering": 3.0, "VQA": 3.0, "visual question": 2.0, "visual reasoning": 1.5,
        "multimodal reasoning": 1.5, "chart understanding": 2.0, "chart": 1.0, "diagram": 1.0,
        "math vista": 1.0, "MathVista": 1.5, "MMMU": 1.5, "MMBench": 1.5, "multimodal benchmark": 1.5,
        "visual math": 1.5, "image question": 2.0, "multimodal understanding": 1.0,
        "spatial reasoning": 1.0, "visual perception": 0.8,
    },
    "Document Question Answering": {
        "document question answering": 3.0, "DocVQA": 3.0, "document understanding": 2.5,
        "document parsing": 2.0, "document image": 2.0, "OCR": 1.0, "infographic": 1.5,
        "scanned document": 2.0, "PDF": 1.0,
    },
    "Video-Text-to-Text": {
        "video understanding": 2.5, "video llm": 3.0, "video large language model": 3.0,
        "video lmm": 3.0, "video mllm": 3.0, "video language model": 3.0, "video question answering": 3.0,
        "VideoQA": 3.0, "long video": 1.5, "video captioning": 2.0, "video reasoning": 2.5,
        "temporal grounding": 2.0, "video benchmark": 1.5, "video comprehension": 2.5,
        "video text": 1.5, "video analysis": 1.0,
    },
    "Visual Document Retrieval": {
        "visual document retrieval": 3.0, "ColPali": 3.0, "document retrieval": 1.5,
        "multimodal retrieval": 2.0, "image retrieval": 1.5, "text image retrieval": 2.0,
    },
    "Any-to-Any": {
        "any to any": 3.0, "omni modal": 1.5, "omni model": 2.0, "omni": 0.8,
        "unified multimodal model": 2.0, "unified multimodal": 1.5, "understanding and generation": 1.5,
        "unified model": 1.0, "speech image and text": 2.0,
    },
    # ----- NLP tasks -----
    "Text Classification": {
        "text classification": 3.0, "sentiment analysis": 3.0, "sentiment": 1.5, "stance detection": 2.5,
        "stance": 1.0, "toxicity": 1.5, "toxic": 1.0, "hate speech": 2.5, "intent classification": 2.5,
        "fake news": 2.0, "misinformation detection": 2.0, "document classification": 2.5,
        "topic classification": 2.5, "emotion classification": 2.0, "spam": 1.5,
        "text classifier": 2.0, "AI generated text detection": 2.5, "machine generated text": 2.0,
    },
    "Token Classification": {
        "named entity recognition": 3.0, "NER": 3.0, "part of speech": 3.0, "POS tagging": 3.0,
        "sequence labeling": 3.0, "token classification": 3.0, "entity extraction": 2.0,
        "entity recognition": 2.5, "slot filling": 2.0, "information extraction": 1.5,
        "relation extraction": 1.5,
    },
    "Table Question Answering": {
        "table question answering": 3.0, "table reasoning": 3.0, "tabular reasoning": 2.5,
        "TableQA": 3.0, "text to SQL": 3.0, "text to sql": 3.0, "SQL": 1.5, "spreadsheet": 1.5,
        "table understanding": 2.5, "table": 0.5, "tables": 0.5,
    },
    "Question Answering": {
        "question answering": 3.0, "QA": 2.0, "retrieval augmented generation": 2.0, "RAG": 2.0,
        "multi hop": 2.0, "open domain": 1.5, "math reasoning": 2.0, "mathematical reasoning": 2.0,
        "mathematical": 1.0, "math": 1.0, "theorem proving": 1.5, "knowledge intensive": 1.5,
        "question": 0.8, "questions": 0.8, "answer": 0.6, "answering": 0.6, "fact checking": 1.5,
        "reading comprehension": 2.5, "knowledge base": 1.0, "commonsense reasoning": 1.5,
        "reasoning benchmark": 1.5, "GSM8K": 1.5, "MATH": 1.0, "AIME": 1.5, "olympiad": 1.0,
        "problem solving": 1.0, "reasoning": 0.7, "search agent": 1.0, "deep research": 1.0,
        "knowledge": 0.3, "factual": 0.8, "hallucination": 0.5, "verifiable": 0.5,
    },
    "Zero-Shot Classification": {
        "zero shot classification": 3.0, "zero shot text classification": 3.0, "NLI": 1.5,
        "natural language inference": 2.0, "entailment": 1.5,
    },
    "Translation": {
        "machine translation": 3.0, "translation": 1.5, "translate": 1.5, "MT": 1.0,
        "cross lingual": 1.5, "multilingual": 1.0, "low resource language": 1.5, "bilingual": 1.0,
        "speech translation": 2.0, "language pair": 2.0, "BLEU": 1.0, "COMET": 1.0,
    },
    "Summarization": {
        "summarization": 3.0, "summarize": 1.5, "abstractive": 2.0, "extractive summary": 2.5,
        "summary generation": 2.0, "meeting summary": 2.0, "ROUGE": 1.5,
    },
    "Feature Extraction": {
        "text embedding": 3.0, "sentence embedding": 3.0, "embedding model": 2.5, "embeddings": 0.8,
        "sentence representation": 2.5, "representation learning": 0.8, "MTEB": 3.0,
    },
    "Text Generation": {
        "text generation": 3.0, "large language model": 1.5, "LLM": 1.5, "language model": 1.0,
        "large reasoning model": 1.5, "LRM": 1.0, "chain of thought": 1.0, "CoT": 1.0,
        "decoding": 1.0, "speculative decoding": 2.5, "KV cache": 2.0, "instruction tuning": 1.5,
        "instruction following": 1.5, "long context": 1.5, "long output": 2.0, "tokenizer": 0.8,
        "pretraining": 0.6, "pre training": 0.6, "post training": 0.6, "fine tuning": 0.3,
        "quantization": 0.8, "pruning": 0.6, "sparsity": 0.5, "inference efficiency": 0.8,
        "alignment": 0.6, "hallucination": 0.8, "chatbot": 1.5, "dialogue": 1.0, "conversation": 1.0,
        "creative writing": 2.5, "story generation": 2.5, "story": 1.0, "writing": 1.0,
        "code generation": 2.0, "code": 0.6, "coding": 0.8, "generate text": 2.0, "generated text": 1.5,
        "mixture of experts": 1.0, "MoE": 1.0, "next token prediction": 1.5, "autoregressive": 0.3,
        "attention": 0.3, "perplexity": 1.5, "persona": 1.0, "role playing": 1.5, "roleplay": 1.5,
        "persuasion": 1.0, "response": 0.5, "responses": 0.5, "instruction": 0.5, "SFT": 0.8,
        "supervised fine tuning": 0.8, "test time scaling": 0.8, "reasoning": 0.5, "generation": 0.3,
        "language modeling": 1.5, "diffusion language model": 2.5, "text diffusion": 2.0,
        "agentic": 1.0, "tool use": 1.5, "tool calling": 1.5, "function calling": 1.5, "LLM agent": 1.5,
        "language agent": 1.5,
    },
    "Text2Text Generation": {
        "text to text": 2.0, "paraphrase": 2.0, "paraphrasing": 2.5, "rewriting": 1.5, "rewrite": 1.2,
        "text style transfer": 2.5, "grammatical error correction": 3.0, "text simplification": 3.0,
        "sequence to sequence": 2.0, "seq2seq": 2.0, "T5": 1.5, "query rewriting": 2.0,
        "text editing": 2.0,
    },
    "Fill-Mask": {
        "fill mask": 3.0, "masked language model": 2.5, "masked language modeling": 2.5, "MLM": 2.0,
        "BERT": 1.5, "RoBERTa": 1.5, "cloze": 1.5, "encoder only": 1.5,
    },
    "Sentence Similarity": {
        "sentence similarity": 3.0, "semantic similarity": 2.5, "semantic textual similarity": 3.0,
        "STS": 2.0, "paraphrase identification": 2.0, "sentence transformer": 2.0,
    },
    "Table to Text": {
        "table to text": 3.0, "data to text": 2.5, "table summarization": 2.5,
    },
    "Multiple Choice": {
        "multiple choice": 2.5, "MCQ": 2.5, "multi choice": 2.0,
    },
    "Text Ranking": {
        "reranking": 3.0, "re ranking": 3.0, "reranker": 3.0, "passage ranking": 3.0,
        "learning to rank": 2.5, "ranking": 0.8, "relevance": 0.6,
    },
    "Text Retrieval": {
        "information retrieval": 2.5, "dense retrieval": 3.0, "retriever": 2.0, "retrieval": 1.2,
        "search engine": 1.5, "multi vector": 2.0, "ColBERT": 3.0, "BM25": 2.0, "passage retrieval": 3.0,
        "document retrieval": 1.5, "semantic search": 2.0,
    },
    # ----- Computer Vision tasks -----
    "Depth Estimation": {
        "depth estimation": 3.0, "monocular depth": 3.0, "depth": 1.2, "surface normal": 2.0,
        "stereo matching": 2.5, "depth map": 2.0, "disparity": 1.5, "dense prediction": 1.5,
    },
    "Image Classification": {
        "image classification": 3.0, "ImageNet": 1.0, "top 1 accuracy": 2.0, "vision transformer": 1.0,
        "ViT": 1.0, "fine grained classification": 2.0, "image recognition": 2.5, "CIFAR": 1.0,
        "visual recognition": 2.0, "classification": 0.3, "backbone": 0.5,
    },
    "Object Detection": {
        "object detection": 3.0, "object detector": 3.0, "detector": 1.0, "bounding box": 2.0,
        "COCO": 1.0, "YOLO": 3.0, "DETR": 3.0, "detection": 0.8, "tracking": 1.0, "object tracking": 2.0,
        "multi object tracking": 2.5, "3D detection": 2.5,
    },
    "Image Segmentation": {
        "segmentation": 2.5, "semantic segmentation": 3.0, "instance segmentation": 3.0,
        "panoptic": 3.0, "segment anything": 2.5, "SAM": 1.5, "matting": 2.0,
        "referring segmentation": 3.0, "segment": 1.0, "mask": 0.5, "pixel grounding": 2.0,
        "grounding": 0.5, "pixel level": 1.0, "dense prediction": 1.0,
    },
    "Text-to-Image": {
        "text to image": 3.0, "T2I": 3.0, "image generation": 2.5, "image synthesis": 2.5,
        "diffusion model": 1.2, "latent diffusion": 1.5, "diffusion": 0.8, "stable diffusion": 2.0,
        "FLUX": 1.5, "DiT": 1.0, "diffusion transformer": 1.2, "generative model": 0.6, "FID": 1.0,
        "autoregressive image generation": 2.0, "class conditional": 1.0,
        "GenEval": 2.0, "classifier free guidance": 1.2, "CFG": 1.0, "visual generation": 2.0,
        "flow matching": 0.8, "text guided": 1.0, "text prompt": 1.0, "generated image": 2.0,
        "image generator": 2.5, "denoising": 0.5, "rectified flow": 1.0, "sampling": 0.3,
        "generation": 0.3, "personalization": 1.0, "aesthetic": 1.0, "prompt following": 1.0,
        "image": 0.3,
    },
    "Image-to-Text": {
        "image captioning": 3.0, "captioning": 2.0, "caption": 1.2, "OCR": 1.5,
        "image description": 2.5, "dense captioning": 2.5, "image to text": 3.0, "text recognition": 2.0,
    },
    "Image-to-Image": {
        "image editing": 2.5, "image restoration": 3.0, "super resolution": 3.0, "inpainting": 1.5,
        "style transfer": 2.0, "image to image": 3.0, "image denoising": 3.0, "deblurring": 3.0,
        "image translation": 2.5, "image compression": 2.5, "colorization": 2.5, "virtual try on": 2.5,
        "low light": 2.0, "editing": 1.0, "image enhancement": 2.5, "outpainting": 2.5,
        "dehazing": 3.0, "deraining": 3.0, "relighting": 2.0,
    },
    "Image-to-Video": {
        "image to video": 3.0, "I2V": 3.0, "image animation": 3.0, "animate": 1.5, "animation": 1.2,
        "talking head": 2.0, "portrait animation": 2.5, "single image": 0.5, "first frame": 1.5,
    },
    "Unconditional Image Generation": {
        "unconditional image generation": 3.0, "unconditional generation": 2.5, "class conditional": 2.0,
        "GAN": 1.5, "generative adversarial": 2.0, "autoregressive image generation": 1.5,
        "generative model": 0.6, "flow based": 0.8, "ImageNet": 1.0, "CIFAR": 1.0,
        "visual tokenizer": 1.5, "image tokenizer": 1.5, "VAE": 1.0, "autoencoder": 0.8,
        "diffusion sampling": 1.5, "FID": 1.0, "ImageNet 256": 2.0, "one step": 0.8,
        "consistency model": 1.5, "distillation": 0.3, "score matching": 1.5, "sampler": 1.0,
        "ODE solver": 1.5, "solver": 0.8, "mode collapse": 1.0,
    },
    "Video Classification": {
        "video classification": 3.0, "action recognition": 3.0, "activity recognition": 2.5,
        "video recognition": 2.5, "temporal action": 2.0, "action localization": 2.0,
        "video anomaly": 2.0, "gesture recognition": 2.0,
    },
    "Text-to-Video": {
        "text to video": 3.0, "T2V": 3.0, "video generation": 3.0, "video synthesis": 3.0,
        "video diffusion": 2.5, "video generative model": 2.5, "generated video": 2.0,
        "video generator": 2.5, "Sora": 1.5, "camera control": 1.5, "world model": 1.0, "motion": 0.5,
        "video": 0.6, "temporal consistency": 1.0, "frame": 0.3, "AIGC": 0.5, "talking": 0.5,
    },
    "Zero-Shot Image Classification": {
        "zero shot image classification": 3.0, "CLIP": 1.0, "open vocabulary": 0.8,
        "contrastive language image": 2.0, "misclassification": 1.0, "zero shot": 0.3,
    },
    "Mask Generation": {
        "mask generation": 3.0, "segment anything": 1.5, "SAM": 1.0, "mask": 0.5, "masks": 0.5,
    },
    "Zero-Shot Object Detection": {
        "zero shot object detection": 3.0, "open vocabulary detection": 3.0,
        "open vocabulary object detection": 3.0, "grounding DINO": 3.0, "visual grounding": 1.5,
        "referring expression": 1.5,
    },
    "Text-to-3D": {
        "text to 3D": 3.0, "text to 3d": 3.0, "3D generation": 2.5, "3d generation": 2.5,
        "3D scene": 1.5, "3d scene": 1.5, "3D asset": 2.0, "3d asset": 2.0, "3D content": 2.0,
        "4D generation": 2.5, "4d generation": 2.5, "3D": 0.6, "3d": 0.6, "4D": 0.6, "mesh": 0.8,
        "NeRF": 1.0, "gaussian splatting": 1.0, "3DGS": 1.0, "point cloud": 1.0, "text to 4D": 3.0,
        "scene generation": 1.5, "3D aware": 1.0, "texture generation": 2.0, "shape generation": 2.0,
        "spatial": 0.3, "geometry": 0.5,
    },
    "Image-to-3D": {
        "image to 3D": 3.0, "image to 3d": 3.0, "3D reconstruction": 2.5, "3d reconstruction": 2.5,
        "reconstruction": 0.8, "novel view synthesis": 2.5, "multi view": 1.5, "single image": 1.0,
        "single view": 1.5, "NeRF": 1.5, "gaussian splatting": 1.5, "3DGS": 1.5, "mesh": 1.0,
        "avatar": 1.5, "4D reconstruction": 2.5, "4d reconstruction": 2.5, "SLAM": 2.0,
        "texture": 1.0, "3D": 0.6, "3d": 0.6, "4D": 0.6, "surface reconstruction": 2.5,
        "scene reconstruction": 2.5, "monocular": 0.8, "geometry": 0.5,
    },
    "Image Feature Extraction": {
        "visual representation": 2.0, "image representation": 2.0, "self supervised visual": 2.0,
        "vision encoder": 1.5, "visual encoder": 1.5, "visual backbone": 2.0, "image embedding": 2.0,
        "DINO": 1.5, "DINOv2": 2.0, "visual feature": 1.0, "feature extraction": 1.5,
        "vision foundation model": 1.5, "visual pretraining": 1.5,
    },
    "Keypoint Detection": {
        "keypoint": 3.0, "pose estimation": 2.0, "landmark detection": 2.5, "human pose": 2.5,
        "hand pose": 2.5, "feature matching": 1.5,
    },
    "Video-to-Video": {
        "video to video": 3.0, "video editing": 2.5, "video super resolution": 3.0,
        "video inpainting": 3.0, "video restoration": 3.0, "video style transfer": 3.0,
        "frame interpolation": 2.5, "video enhancement": 2.5, "video reconstruction": 2.0,
        "video translation": 2.0,
    },
    # ----- Audio tasks -----
    "Text-to-Speech": {
        "text to speech": 3.0, "TTS": 3.0, "speech synthesis": 3.0, "voice cloning": 3.0,
        "speech generation": 2.5, "spoken dialogue": 1.5, "vocoder": 2.0, "speak": 1.0,
        "speech tokenizer": 1.5, "expressive speech": 2.0, "spoken language model": 1.0,
    },
    "Text-to-Audio": {
        "text to audio": 3.0, "audio generation": 2.5, "music generation": 3.0, "text to music": 3.0,
        "sound generation": 2.5, "sound effect": 2.0, "song": 1.5, "music": 1.2, "foley": 2.5,
        "video to audio": 2.5, "audio synthesis": 2.5, "singing": 2.0,
    },
    "Automatic Speech Recognition": {
        "speech recognition": 3.0, "ASR": 3.0, "transcription": 2.0, "Whisper": 2.5,
        "speech to text": 3.0, "phone recognition": 2.5, "phoneme": 1.5, "WER": 2.0,
        "word error rate": 2.5, "spoken language understanding": 1.5, "speech": 0.8,
        "speech language model": 1.5, "speech model": 1.5, "speech foundation model": 2.0,
        "LibriSpeech": 2.5,
    },
    "Audio-to-Audio": {
        "speech enhancement": 3.0, "source separation": 3.0, "audio separation": 3.0,
        "voice conversion": 3.0, "speech to speech": 2.5, "noise suppression": 2.5, "audio editing": 2.5,
        "audio restoration": 3.0, "audio to audio": 3.0, "audio codec": 2.0, "neural codec": 1.5,
        "separation": 1.0,
    },
    "Audio Classification": {
        "audio classification": 3.0, "sound event": 2.5, "speaker verification": 2.5,
        "speaker identification": 2.5, "speech emotion recognition": 2.5, "audio tagging": 3.0,
        "acoustic scene": 2.5, "keyword spotting": 2.5, "deepfake audio": 2.0, "audio deepfake": 2.0,
    },
    "Voice Activity Detection": {
        "voice activity detection": 3.0, "VAD": 2.5, "speaker diarization": 2.5, "diarization": 2.5,
        "turn taking": 1.5, "endpoint detection": 2.0,
    },
    # ----- Tabular tasks -----
    "Tabular Classification": {
        "tabular classification": 3.0, "tabular data": 1.5, "tabular": 1.0, "XGBoost": 2.0,
        "gradient boosting": 2.0, "TabPFN": 3.0, "tabular foundation model": 2.0,
        "credit scoring": 2.0, "fraud detection": 2.0,
    },
    "Tabular Regression": {
        "tabular regression": 3.0, "regression": 0.8, "tabular": 0.5,
    },
    "Tabular to Text": {
        "tabular to text": 3.0, "table description": 1.5,
    },
    "Time Series Forecasting": {
        "time series": 3.0, "forecasting": 2.5, "forecast": 2.0, "weather forecasting": 2.5,
        "traffic forecasting": 2.5, "temporal forecasting": 2.5, "spatio temporal": 1.0,
        "anomaly detection": 1.0, "stock": 1.0, "sensor data": 1.0,
    },
    # ----- Reinforcement Learning (a modality and a task) -----
    "Reinforcement Learning": {
        "reinforcement learning": 3.0, "RL": 2.5, "RLHF": 2.5, "RLVR": 3.0, "RLAIF": 2.5,
        "GRPO": 2.5, "PPO": 2.5, "DPO": 1.5, "policy optimization": 2.5, "preference optimization": 1.5,
        "reward model": 1.5, "reward": 1.0, "policy gradient": 3.0, "Q learning": 3.0, "offline RL": 3.0,
        "agent": 0.5, "multi agent": 1.0, "environment": 0.5, "markov decision": 3.0, "MDP": 2.0,
        "exploration": 0.8, "on policy": 2.0, "off policy": 2.0, "policy": 1.0, "verifiable reward": 2.5,
        "self improvement": 0.8, "self improving": 0.8, "trial and error": 1.5, "game": 0.8,
        "value function": 1.5, "advantage": 0.5, "rollout": 1.0, "feedback": 0.5, "preference": 0.5,
        "human feedback": 1.0, "Atari": 2.0, "MuJoCo": 2.0, "bandit": 2.0, "LLM agent": 0.5,
        "GUI agent": 0.5, "language agent": 0.5,
    },
    "Robotics": {
        "robot": 3.0, "robotic": 3.0, "manipulation": 1.5, "embodied": 2.5, "navigation": 1.5,
        "vision language action": 3.0, "VLA": 3.0, "grasping": 2.5, "grasp": 2.0, "humanoid": 2.5,
        "locomotion": 2.5, "autonomous driving": 2.5, "self driving": 2.5, "driving": 1.0,
        "sim to real": 2.5, "teleoperation": 2.5, "dexterous": 2.5, "pathfinding": 2.0,
        "path planning": 2.0, "motion planning": 2.0, "quadruped": 2.5, "drone": 2.0, "UAV": 2.0,
        "task planning": 1.5, "trajectory": 0.5, "action": 0.3, "imitation learning": 2.0,
        "household": 1.0, "object manipulation": 2.5, "gripper": 2.5, "end effector": 2.5,
    },
    # ----- Other -----
    "Graph Machine Learning": {
        "graph neural network": 3.0, "GNN": 3.0, "knowledge graph": 2.0, "graph": 1.2,
        "node classification": 3.0, "link prediction": 3.0, "molecular graph": 2.5, "message passing": 2.0,
        "graph based": 1.0, "scene graph": 0.5, "graph structure": 2.0, "GraphRAG": 2.5,
        "graph learning": 3.0, "subgraph": 1.5,
    },
    "Other": {
        "quantum": 2.0, "protein": 1.5, "molecule": 1.5, "molecular": 1.2, "drug": 1.5, "physics": 1.0,
        "climate": 1.0, "PDE": 2.0, "partial differential equation": 2.5, "material": 0.8,
        "chemistry": 1.5, "chemical": 1.0, "genomic": 1.5, "DNA": 1.5, "biology": 1.2, "circuit": 1.0,
        "software engineering": 1.0, "survey": 0.3, "economics": 1.0, "hardware": 0.5,
    },
}
# fmt: on

#: How much a hit counts by where it is: titles name the task; keywords are curated; bodies ramble.
TITLE_WEIGHT = 2.5
KEYWORD_WEIGHT = 1.5
BODY_WEIGHT = 1.0
#: Extra weight per repeated body hit (capped), so a cue the abstract keeps returning to counts more.
REPEAT_BONUS = 0.25
REPEAT_CAP = 4

#: A task needs this much evidence, and at least this share of the best task's score.
TASK_MIN = 2.0
TASK_RELATIVE = 0.5
#: A second task from another modality than the lead task needs a larger share: mixed-modality tag
#: sets are rarer, and generic cues ("diffusion", "reasoning") leak across modalities.
CROSS_RELATIVE = 0.7
#: Tags that describe how a paper trains rather than what it does: judged on their own evidence, not
#: against the lead task, since "RL for LLM reasoning" is both RL and a language task.
FACETS: tuple[str, ...] = ("Reinforcement Learning",)
FACET_MIN = 3.0
MAX_TASKS = 3
MAX_TAGS = 4
#: A modality tag needs this much evidence (its own cues plus its selected tasks' scores).
MODALITY_MIN = 2.0

#: House style of the digests when nothing has been learned yet: how often the modality tag is
#: written next to one of its tasks. Computer Vision is usually left implicit ("Text-to-Image"
#: alone), the others are usually spelled out ("Natural Language Processing", "Text Generation").
DEFAULT_MODALITY_RATE: dict[str, float] = {
    "Multimodal": 0.8, "Natural Language Processing": 0.6, "Computer Vision": 0.2, "Audio": 0.5,
    "Tabular": 0.5,
}
#: A modality tag is written when its house-style rate reaches this (about half the F1 one can hope
#: for: adding a tag that is right with probability p helps micro-F1 when p > F1 / 2).
MODALITY_RATE_MIN = 0.3

#: After learning, a task whose rule predictions were right less often than this on the labelled
#: papers is not emitted (the house style does not use it that way). Smoothed towards 0.5 with the
#: weight of PRECISION_PRIOR papers so a tag seen once or twice is not judged on luck.
TASK_PRECISION_MIN = 0.3
PRECISION_PRIOR = 2.0
#: Lowest factor a task's score is damped to when its modality is barely mentioned.
CONTEXT_FLOOR = 0.4
#: Learned centroid similarity is scaled to rule-score units by this factor.
LEARNED_WEIGHT = 6.0
#: Terms seen in fewer labelled papers than this are noise at this data size.
MIN_DOC_FREQ = 2

_TOKEN_RE = re.compile(r"[A-Za-z0-9]+")
_SEP = "\x00"  # a token no text produces: keeps cues from matching across field/keyword borders

_STOPWORD_TEXT = """a an the and or of for to in on with by from as at is are was were be been being this that
    these those it its their they we our us which who whom what when where how than then there
    into over under via using use used uses based new novel paper propose proposed proposes
    introduce introduces introduced present presents approach method methods framework model
    models result results show shows shown demonstrate demonstrates achieve achieves achieving
    state art performance significant significantly improve improves improved improving existing
    also both each such can may while without across more most other only not no but all any
    further however through data dataset task tasks research study work authors s e g i"""
#: Words every abstract uses: they would only blur the learned centroids.
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@lru_cache(maxsize=1 << 16)
def _fold(token: str) -> str:
    """Case-insensitive key of a token, plural folded ("Images" -> "image", "series" kept apart)."""
    t = token.lower()
    if len(t) > 3 and t.endswith("ies"):
        return t[:-3] + "y"
    if len(t) > 3 and t.endswith("s") and not t.endswith(("ss", "us", "is")):
        return t[:-1]
    return t


@lru_cache(maxsize=1 << 16)
def _exact(token: str) -> str:
    """Case-sensitive key of a token: acronym plurals folded ("LLMs" -> "LLM", "DiTs" -> "DiT")."""
    if len(token) > 2 and token.endswith("s") and token[-2].isupper():
        return token[:-1]
    return token


def _is_exact(token: str) -> bool:
    """Cue tokens written with a capital letter match case-sensitively (acronyms, names)."""
    return any(c.isupper() for c in token)


#: (cue index, cue length, the cue's other words if all folded, if all exact): see ``_CueIndex``.
_CueEntry = tuple[int, int, list[str] | None, list[str] | None]


class _CueIndex:
    """All cues compiled into a first-token index for one linear, longest-match pass over text."""

    def __init__(self, cues: dict[str, dict[str, float]]) -> None:
        merged: dict[tuple[tuple[bool, str], ...], dict[str, float]] = {}
        for tag, table in cues.items():
            if tag not in ALL_TAGS:
                raise ValueError(f"rule table names {tag!r}, which is not a taxonomy tag")
            for phrase, weight in table.items():
                key = tuple(
                    (True, _exact(tok)) if _is_exact(tok) else (False, _fold(tok))
                    for tok in _TOKEN_RE.findall(phrase)
                )
                merged.setdefault(key, {})[tag] = weight
        # A longer cue consumes the words of the shorter cues inside it ("speech recognition" eats
        # "speech"), so it inherits their modality-level evidence for its own modality: otherwise a
        # speech paper would seem to talk little about audio, and its tasks would be damped.
        for key, tags in merged.items():
            own_modalities = {MODALITY_OF[t] for t in tags}
            for start in range(len(key)):
                for stop in range(start + 1, len(key) + 1):
                    sub = merged.get(key[start:stop]) if (start, stop) != (0, len(key)) else None
                    for tag, weight in (sub or {}).items():
                        if tag in MODALITIES and tag in own_modalities and tag not in tags:
                            tags[tag] = weight
        self.cues: list[tuple[tuple[tuple[bool, str], ...], tuple[tuple[str, float], ...]]] = sorted(
            ((k, tuple(sorted(v.items()))) for k, v in merged.items()), key=lambda kv: (-len(kv[0]), kv[0])
        )
        # A cue's first token, folded or exact -> (cue index, length, the rest of the cue as a list of
        # folded words, or of exact words, or None when it mixes both), longest first since self.cues
        # is sorted that way. Why this shape: most tokens start no cue, and two dict lookups say so;
        # comparing a slice of the text's tokens with a list is one C-level comparison, where a
        # generator over the cue's words was a third of the tagger's time.
        by_first: tuple[dict[str, list[_CueEntry]], dict[str, list[_CueEntry]]] = (defaultdict(list), defaultdict(list))
        for i, (key, _) in enumerate(self.cues):
            rest = key[1:]
            folded = [w for _, w in rest] if not any(ex for ex, _ in rest) else None
            exact = [w for _, w in rest] if all(ex for ex, _ in rest) and rest else None
            is_exact, word = key[0]
            by_first[is_exact][word].append((i, len(key), folded, exact))
        self.by_first = (dict(by_first[0]), dict(by_first[1]))

    def hits(self, tokens: Sequence[str]) -> Counter[int]:
        """How often each cue occurs in ``tokens`` (longest match at each position consumes it)."""
        folded = [_fold(t) for t in tokens]
        exact = [_exact(t) for t in tokens]
        out: Counter[int] = Counter()
        by_folded, by_exact = self.by_first
        n = len(tokens)
        i = 0
        while i < n:
            starts_folded = by_folded.get(folded[i])
            starts_exact = by_exact.get(exact[i])
            if starts_folded is None and starts_exact is None:
                i += 1
                continue
            best = -1
            best_len = 0
            for starts in (starts_folded, starts_exact):
                for ci, k, rest_folded, rest_exact in starts or ():
                    if k <= best_len or i + k > n:
                        continue
                    if rest_folded is not None:
                        hit = folded[i + 1:i + k] == rest_folded
                    elif rest_exact is not None:
                        hit = exact[i + 1:i + k] == rest_exact
                    else:
                        hit = all((exact[i + j] if is_ex else folded[i + j]) == word
                                  for j, (is_ex, word) in enumerate(self.cues[ci][0]) if j)
                    if hit:
                        best, best_len = ci, k
                        break  # candidates are longest first: the first full match is the longest
            if best >= 0:
                out[best] += 1
                i += best_len
            else:
                i += 1
        return out


_INDEX = _CueIndex(CUES)
_MODALITY_TAGS = frozenset(m for m in MODALITIES if m not in ("Reinforcement Learning", "Other"))
_TASK_TAGS: tuple[str, ...] = tuple(t for t in ALL_TAGS if t not in _MODALITY_TAGS)
_ORDER = {t: i for i, t in enumerate(ALL_TAGS)}
_CONTEXT_MODALITIES = ("Natural Language Processing", "Computer Vision", "Audio", "Tabular")


#: A paper's title, keyword and body tokens.
Fields = tuple[list[str], list[str], list[str]]


def _fields(paper: Paper) -> Fields:
    """Title, keyword and body tokens; separators keep cues inside one keyword or one field."""
    title = _TOKEN_RE.findall(paper.title or "")
    keywords: list[str] = []
    for kw in paper.keywords or ():
        keywords.extend(_TOKEN_RE.findall(kw))
        keywords.append(_SEP)
    body = [*_TOKEN_RE.findall(paper.abstract or ""), _SEP, *_TOKEN_RE.findall(paper.summary or "")]
    return title, keywords, body


def rule_scores(paper: Paper, fields: Fields | None = None) -> dict[str, float]:
    """Evidence per tag from the rule table (modality tags get only their own modality-level cues)."""
    title, keywords, body = fields or _fields(paper)
    scores: dict[str, float] = defaultdict(float)
    for tokens, weight, repeats in (
        (title, TITLE_WEIGHT, False),
        (keywords, KEYWORD_WEIGHT, False),
        (body, BODY_WEIGHT, True),
    ):
        for ci, count in _INDEX.hits(tokens).items():
            factor = weight * (1.0 + REPEAT_BONUS * min(count - 1, REPEAT_CAP) if repeats else 1.0)
            for tag, w in _INDEX.cues[ci][1]:
                scores[tag] += w * factor
    return dict(scores)


def _in_context(scores: dict[str, float]) -> dict[str, float]:
    """Damp tasks whose modality the text hardly speaks of ("segmentation" in a speech paper).

    Generic task words ("segmentation", "translation", "generation") are shared across modalities;
    the modality-level vocabulary (speech, image, LLM...) says which reading is meant. A task keeps
    its full score when its modality is the most talked-about one and shrinks (not below
    CONTEXT_FLOOR) with the square root of its modality's share. Multimodal tasks are exempt: their
    papers talk about every modality at once.
    """
    own = {m: scores.get(m, 0.0) for m in _CONTEXT_MODALITIES}
    top = max(own.values())
    if top <= 0:
        return scores
    out = dict(scores)
    for tag, score in scores.items():
        m = MODALITY_OF[tag]
        if m in own and tag != m:
            out[tag] = score * max(CONTEXT_FLOOR, math.sqrt((own[m] + 1.0) / (top + 1.0)))
    return out


@lru_cache(maxsize=1 << 16)
def _term(token: str) -> str:
    """The centroid vocabulary key of a token, or "" for separators, stopwords and numbers."""
    t = _fold(token)
    return t if len(t) > 1 and t not in _STOPWORDS and not t.isdigit() else ""


def _terms(paper: Paper, fields: Fields | None = None) -> Counter[str]:
    """Bag of folded content words (title counted twice) for the learned centroids."""
    title, keywords, body = fields or _fields(paper)
    bag: Counter[str] = Counter()
    for tokens, weight in ((title, 2), (keywords, 1), (body, 1)):
        for tok in tokens:
            t = _term(tok)
            if t:
                bag[t] += weight
    return bag


class RuleTagger:
    """Tags a paper from its text: the rule table, plus whatever :meth:`learn` has seen (the tagger
    before the shipped model; kept as the model's rule evidence and as the benchmark's rules row)."""

    def __init__(self) -> None:
        self._idf: dict[str, float] = {}
        self._centroids: dict[str, dict[str, float]] = {}
        self._postings: dict[str, list[tuple[str, float]]] = {}
        self._modality_rate: dict[str, float] = dict(DEFAULT_MODALITY_RATE)
        self._precision: dict[str, float] = {}
        self.learned = 0

    # ---- learning ----------------------------------------------------------------------------
    def learn(self, papers: Iterable[Paper]) -> int:
        """Build per-tag term centroids and the modality-tag habit from digest-tagged papers.

        Only ``tags_source == "digest"`` papers with valid tags teach (auto tags would only echo the
        rules back). Replaces anything learned before, so the result depends on the input alone;
        papers are sorted by id first so input order cannot change a float sum.
        Returns how many labelled papers were used.
        """
        labelled = sorted(
            (p for p in papers if p.tags_source == "digest" and any(t in _ORDER for t in p.tags)),
            key=lambda p: (p.arxiv_id, p.title, p.tags, p.summary, p.abstract),
        )
        self._idf, self._centroids, self._postings = {}, {}, {}
        self._modality_rate = dict(DEFAULT_MODALITY_RATE)
        self._precision = {}
        self.learned = len(labelled)
        if not labelled:
            return 0
        # How often is each rule-predicted task right in the house style? Measured with the rules
        # alone (before anything is learned) so the learned parts cannot vouch for themselves.
        predicted: Counter[str] = Counter()
        correct: Counter[str] = Counter()
        for paper in labelled:
            for tag in self._decide(_in_context(rule_scores(paper))):
                predicted[tag] += 1
                correct[tag] += tag in paper.tags
        self._precision = {
            t: (correct[t] + 0.5 * PRECISION_PRIOR) / (predicted[t] + PRECISION_PRIOR)
            for t in sorted(predicted)
        }
        bags = [_terms(p) for p in labelled]
        df: Counter[str] = Counter()
        for bag in bags:
            df.update(bag.keys())
        n = len(bags)
        self._idf = {t: math.log((1 + n) / (1 + c)) + 1.0 for t, c in df.items() if c >= MIN_DOC_FREQ}
        sums: dict[str, Counter[str]] = defaultdict(Counter)
        for paper, bag in zip(labelled, bags, strict=True):
            vec = self._vector(bag)
            for tag in dict.fromkeys(t for t in paper.tags if t in _ORDER):
                for term, w in vec.items():
                    sums[tag][term] += w
        for tag in sorted(sums):
            norm = math.sqrt(sum(w * w for w in sums[tag].values())) or 1.0
            self._centroids[tag] = {t: w / norm for t, w in sorted(sums[tag].items())}
        postings: dict[str, list[tuple[str, float]]] = defaultdict(list)
        for tag, centroid in self._centroids.items():
            for term, w in centroid.items():
                postings[term].append((tag, w))
        self._postings = dict(postings)
        # House style: when a task of modality M is tagged, how often is M itself written too?
        seen: Counter[str] = Counter()
        written: Counter[str] = Counter()
        for paper in labelled:
            mods = {MODALITY_OF[t] for t in paper.tags if t in _ORDER and t not in MODALITIES}
            for m in mods & _MODALITY_TAGS:
                seen[m] += 1
                written[m] += m in paper.tags
        for m in _MODALITY_TAGS:
            # Beta prior centred on the default, worth 4 papers, so one odd example moves it little.
            prior = DEFAULT_MODALITY_RATE.get(m, 0.5)
            self._modality_rate[m] = (written[m] + 4 * prior) / (seen[m] + 4)
        return self.learned

    def _vector(self, bag: Counter[str]) -> dict[str, float]:
        """Unit-length tf-idf vector over the learned vocabulary (sublinear tf)."""
        vec = {t: (1.0 + math.log(c)) * self._idf[t] for t, c in bag.items() if t in self._idf}
        norm = math.sqrt(sum(w * w for w in vec.values())) or 1.0
        return {t: w / norm for t, w in vec.items()}

    def learned_scores(self, paper: Paper, fields: Fields | None = None) -> dict[str, float]:
        """Cosine similarity of the paper to each learned tag centroid (empty before learning)."""
        if not self._postings:
            return {}
        sims: dict[str, float] = defaultdict(float)
        for term, w in self._vector(_terms(paper, fields)).items():
            for tag, cw in self._postings.get(term, ()):
                sims[tag] += w * cw
        return dict(sims)

    # ---- tagging -----------------------------------------------------------------------------
    def scores(self, paper: Paper) -> dict[str, float]:
        """Combined evidence per tag: rules in their modality context, plus learned similarity."""
        fields = _fields(paper)  # tokenised once for both the rules and the centroids
        scores = _in_context(rule_scores(paper, fields))
        for tag, sim in self.learned_scores(paper, fields).items():
            scores[tag] = scores.get(tag, 0.0) + LEARNED_WEIGHT * sim
        return scores

    def tag(self, paper: Paper) -> list[str]:
        """1–4 taxonomy tags: modality tags first (main one first), then tasks by score."""
        return self._decide(self.scores(paper))

    def _decide(self, scores: dict[str, float]) -> list[str]:
        """Turn evidence into the house-style tag list (pure: same scores -> same list)."""
        usable = {
            t: scores[t]
            for t in _TASK_TAGS
            if scores.get(t, 0.0) > 0 and self._precision.get(t, 1.0) >= TASK_PRECISION_MIN
        }
        content = sorted((t for t in usable if t not in FACETS), key=lambda t: (-usable[t], _ORDER[t]))
        tasks: list[str] = []
        if content:
            lead = content[0]
            for t in content:
                ratio = TASK_RELATIVE if MODALITY_OF[t] == MODALITY_OF[lead] else CROSS_RELATIVE
                if usable[t] >= TASK_MIN and usable[t] >= ratio * usable[lead]:
                    tasks.append(t)
            tasks = tasks[:MAX_TASKS]
        tasks += [f for f in FACETS if usable.get(f, 0.0) >= FACET_MIN]
        tasks.sort(key=lambda t: (-usable[t], _ORDER[t]))

        # Modality evidence: its own cues plus the scores of its selected tasks.
        evidence = {
            m: (scores.get(m, 0.0) if m in _MODALITY_TAGS else 0.0)
            + sum(usable[t] for t in tasks if MODALITY_OF[t] == m)
            for m in MODALITIES
        }
        has_content = any(t not in FACETS for t in tasks)
        candidates = []
        for m in _MODALITY_TAGS:
            own = scores.get(m, 0.0)
            if evidence[m] < MODALITY_MIN:
                continue
            if any(MODALITY_OF[t] == m for t in tasks):
                ok = self._modality_rate.get(m, 0.5) >= MODALITY_RATE_MIN
            else:  # named without any task of its own: only if nothing else names the paper's content
                ok = own >= MODALITY_MIN and (not has_content or (m == "Multimodal" and own >= 2 * MODALITY_MIN))
            if ok:
                candidates.append(m)
        # One modality tag at most (the digests almost never write two); RL and Other, being tags in
        # both roles, are ranked with it by evidence so the first modality tag is the main modality.
        modality = sorted(candidates, key=lambda m: (-evidence[m], _ORDER[m]))[:1]
        heads = sorted([*modality, *(t for t in tasks if t in MODALITIES)], key=lambda m: (-evidence[m], _ORDER[m]))
        tags = [*heads, *(t for t in tasks if t not in heads)][:MAX_TAGS]
        if not tags:  # weak evidence everywhere: name the modality that has the most of it
            total = {
                m: scores.get(m, 0.0) + sum(scores.get(t, 0.0) for t in TASKS[m] if t != m) for m in MODALITIES
            }
            best = min(MODALITIES, key=lambda m: (-total[m], _ORDER[m]))
            tags = [best if total[best] > 0 else "Other"]
        return tags
