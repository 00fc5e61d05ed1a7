"""The WordPiece tokenizer of models trained from scratch: training, saving, loading.

Trained on a language-balanced sample (corpus text plus unlabelled news from ../shared/data when
present) so Azerbaijani, with ~6 MB of text against ~108 MB of Russian, still gets whole-word
pieces. Case is folded but accents are kept: ə ğ ı ö ü ç ş carry meaning in Azerbaijani.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterable

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import AutoTokenizer, PreTrainedTokenizerFast

__all__ = ["SPECIAL_TOKENS", "train_tokenizer", "load_tokenizer"]

logger = logging.getLogger(__name__)

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def _build_wordpiece() -> Tokenizer:
    tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    tokenizer.normalizer = normalizers.BertNormalizer(
        clean_text=True, handle_chinese_chars=False, strip_accents=False, lowercase=True)
    tokenizer.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    tokenizer.decoder = decoders.WordPiece()
    return tokenizer


def train_tokenizer(texts: Iterable[str], vocab_size: int = 16000,
                    min_frequency: int = 2) -> PreTrainedTokenizerFast:
    """Train a WordPiece tokenizer on `texts` and wrap it as a BERT-style fast tokenizer.

    The result encodes pairs as ``[CLS] target [SEP] passage [SEP]`` with token type ids.
    """
    tokenizer = _build_wordpiece()
    trainer = trainers.WordPieceTrainer(vocab_size=vocab_size, min_frequency=min_frequency,
                                        special_tokens=SPECIAL_TOKENS, show_progress=False)
    tokenizer.train_from_iterator(texts, trainer=trainer)
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", cls_id), ("[SEP]", sep_id)])
    logger.info("tokenizer trained: %d pieces", tokenizer.get_vocab_size())
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, unk_token="[UNK]", pad_token="[PAD]", cls_token="[CLS]",
        sep_token="[SEP]", mask_token="[MASK]", model_input_names=["input_ids", "token_type_ids",
                                                                   "attention_mask"])


def load_tokenizer(path: str | Path) -> PreTrainedTokenizerFast:
    """Load the tokenizer saved in a model directory (ours or any pretrained checkpoint's)."""
    return AutoTokenizer.from_pretrained(str(path))  # type: ignore[no-any-return]
