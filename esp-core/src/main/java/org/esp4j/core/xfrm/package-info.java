/**
 * The {@code ip xfrm} command syntax of iproute2, for users who know ip-xfrm(8) by heart: the same lines that
 * configure Linux's IPsec configure esp4j's RFC 4301 SAD and SPD, and esp4j prints its SAs and policies the way
 * {@code ip xfrm state} and {@code ip xfrm policy} do.
 * <ul>
 *     <li>{@link org.esp4j.core.xfrm.XfrmTokenizer}: shell-like words with quotes and comments.</li>
 *     <li>{@link org.esp4j.core.xfrm.XfrmStateParser}: {@code ip xfrm state add|delete|get} arguments to
 *         {@link org.esp4j.core.sa.SaConfig} or {@link org.esp4j.core.xfrm.XfrmStateId}.</li>
 *     <li>{@link org.esp4j.core.xfrm.XfrmPolicyParser}: {@code ip xfrm policy add|delete|get} arguments to
 *         {@link org.esp4j.core.spd.PolicyConfig} or {@link org.esp4j.core.xfrm.XfrmPolicyId}.</li>
 *     <li>{@link org.esp4j.core.xfrm.SaFileReader} and {@link org.esp4j.core.xfrm.XfrmPreloadReader}: files of such
 *         lines.</li>
 *     <li>{@link org.esp4j.core.xfrm.XfrmFormatter}: {@code ip xfrm state}/{@code policy} listings and
 *         {@code state add}/{@code policy add} arguments that parse back.</li>
 *     <li>{@link org.esp4j.core.xfrm.WiresharkEspSa}: Wireshark esp_sa records for decrypting captures.</li>
 * </ul>
 * Every error is an {@link org.esp4j.core.xfrm.XfrmSyntaxException} naming the line and word at fault, and never
 * key material. Only transport-mode ESP is accepted; what esp4j does not do is refused by name, never ignored,
 * unless ignoring it cannot change what goes on the wire.
 */
package org.esp4j.core.xfrm;
