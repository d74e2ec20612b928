/**
 * BERT uncased WordPiece tokenisation: the basic tokenizer, the vocabulary, encodings with word
 * grouping for whole-word masking, and vocabulary building from a corpus.
 */
package dev.vlmo.datasets.text;
