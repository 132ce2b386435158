package org.esp4j.core.xfrm;

/**
 * One shell word of an {@code ip xfrm} line.
 *
 * @param text   the word after quote removal ({@code 'hmac(sha1)'} gives {@code hmac(sha1)}, {@code ""} gives "").
 * @param index  1-based position of the word in the line.
 * @param column 1-based column of the word's first character (its opening quote, if quoted).
 * @param quoted true if any part of the word was quoted, so {@code ""} can be told from no word at all.
 */
public record XfrmToken(String text, int index, int column, boolean quoted)
{
}
