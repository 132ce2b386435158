package org.esp4j.sip.aka;

import org.esp4j.core.redact.Redaction;
import org.esp4j.core.text.Hex;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A subscriber's long-term secrets (TS 33.102 §6.3: K, and OP or OPc for Milenage, TS 35.206) and which algorithm
 * uses them, kept off the command line, where every local user can read them in {@code ps} and
 * {@code /proc/PID/cmdline}.
 * <h2>Key file</h2>
 * {@code esp4j run --subscriber FILE}, config {@code sip.keyfile=FILE}, {@code esp4j sip replay --subscriber FILE}:
 * <pre>
 * # subscriber 001010123456789 (comments and blank lines are ignored)
 * k=465b5ce8b199b49faa5f0a2ee238a6bc
 * opc=cd63cb71954a9f4e48a5994e37a02baf      # or op=..., not both
 * algorithm=milenage                        # or test-usim (then no op/opc); default milenage
 * </pre>
 * Values are 128 bits of hex, {@code 0x} optional. As ssh does with private keys, the file is refused when its group
 * or other users have any access to it ({@code chmod 600 FILE}). Errors name the file, line and field, never a value.
 * <h2>Environment</h2>
 * {@link #ENV_K}, {@link #ENV_OP}, {@link #ENV_OPC}, {@link #ENV_ALGORITHM}: a process's environment is readable by
 * its own user and root only.
 */
public final class SubscriberKeys
{
    /** Environment variable holding K. */
    public static final String ENV_K = "ESP4J_K";
    /** Environment variable holding OP. */
    public static final String ENV_OP = "ESP4J_OP";
    /** Environment variable holding OPc. */
    public static final String ENV_OPC = "ESP4J_OPC";
    /** Environment variable naming the algorithm (milenage or test-usim). */
    public static final String ENV_ALGORITHM = "ESP4J_AKA";

    /** The algorithm when none is named. */
    public static final String MILENAGE = "milenage";
    /** TS 34.108 §8.1.2's test algorithm (XOR), as test USIMs have it. */
    public static final String TEST_USIM = "test-usim";

    private static final int KEY_BYTES = 16;
    private static final Set<PosixFilePermission> GROUP_OR_OTHER = Set.of(
        PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
        PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private final String source;
    private final String k;
    private final String op;
    private final String opc;
    private final String algorithm;

    private SubscriberKeys(final String source, final String k, final String op, final String opc,
        final String algorithm)
    {
        this.source = source;
        this.k = k;
        this.op = op;
        this.opc = opc;
        this.algorithm = algorithm;
    }

    /**
     * @param source    where the values came from, for error messages ({@code --k}, {@code sip.k}, ...).
     * @param k         K as hex, or null.
     * @param op        OP as hex, or null.
     * @param opc       OPc as hex, or null.
     * @param algorithm milenage or test-usim, or null for milenage.
     * @return the keys as given.
     */
    public static SubscriberKeys of(final String source, final String k, final String op, final String opc,
        final String algorithm)
    {
        return new SubscriberKeys(source, k, op, opc, algorithm);
    }

    /**
     * @param env the environment ({@code System.getenv()}).
     * @return the keys in {@link #ENV_K} etc., or null when {@link #ENV_K} is not set.
     */
    public static SubscriberKeys fromEnvironment(final Map<String, String> env)
    {
        final String k = env.get(ENV_K);
        if (k == null || k.isEmpty())
        {
            return null;
        }
        return new SubscriberKeys("environment", k, env.get(ENV_OP), env.get(ENV_OPC), env.get(ENV_ALGORITHM));
    }

    /**
     * Reads a key file (format in the class comment).
     *
     * @param file the key file.
     * @return its keys.
     * @throws IOException              if it cannot be read, with the reason in one line.
     * @throws IllegalArgumentException if it is group- or world-accessible or malformed, naming file and line.
     */
    public static SubscriberKeys readFile(final Path file) throws IOException
    {
        final Set<PosixFilePermission> permissions;
        try
        {
            permissions = Files.getPosixFilePermissions(file, LinkOption.NOFOLLOW_LINKS);
        }
        catch (final NoSuchFileException ex)
        {
            throw new NoSuchFileException(file + ": no such file");
        }
        if (permissions.stream().anyMatch(GROUP_OR_OTHER::contains))
        {
            throw new IllegalArgumentException(file + ": permissions " + PosixFilePermissions.toString(permissions) +
                " are too open: a subscriber key file must be readable by its owner only (chmod 600 " + file + ")");
        }
        final List<String> lines;
        try
        {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        }
        catch (final CharacterCodingException ex)
        {
            throw new IllegalArgumentException(file + ": not UTF-8 text");
        }
        String k = null;
        String op = null;
        String opc = null;
        String algorithm = null;
        for (int i = 0; i < lines.size(); i++)
        {
            final String where = file + ":" + (i + 1);
            final int hash = lines.get(i).indexOf('#');
            final String line = (hash < 0 ? lines.get(i) : lines.get(i).substring(0, hash)).trim();
            if (line.isEmpty())
            {
                continue;
            }
            final int eq = line.indexOf('=');
            if (eq <= 0)
            {
                throw new IllegalArgumentException(where + ": expected name=value (k=, op=, opc= or algorithm=)");
            }
            final String name = line.substring(0, eq).trim().toLowerCase(Locale.ROOT);
            final String value = line.substring(eq + 1).trim();
            switch (name)
            {
                case "k" -> k = once(where, name, k, value);
                case "op" -> op = once(where, name, op, value);
                case "opc" -> opc = once(where, name, opc, value);
                case "algorithm" -> algorithm = once(where, name, algorithm, value);
                default -> throw new IllegalArgumentException(where + ": unknown name '" +
                    Redaction.redact(name) + "' (expected k, op, opc or algorithm)");
            }
        }
        if (k == null)
        {
            throw new IllegalArgumentException(file + ": no k= line");
        }
        return new SubscriberKeys(file.toString(), k, op, opc, algorithm);
    }

    /** @return where the keys came from. */
    public String source()
    {
        return source;
    }

    /** @return the algorithm named with the keys, or null. */
    public String algorithmName()
    {
        return algorithm;
    }

    /**
     * @param defaultAlgorithm the algorithm when the keys name none (null: milenage).
     * @return the subscriber's algorithm with its keys.
     * @throws IllegalArgumentException naming the source and the field at fault, never a value.
     */
    public AkaAlgorithm akaAlgorithm(final String defaultAlgorithm)
    {
        final String name = algorithm != null ? algorithm : defaultAlgorithm != null ? defaultAlgorithm : MILENAGE;
        final byte[] key = Hex.decode(source + ": k", k, KEY_BYTES);
        switch (name)
        {
            case MILENAGE:
                if ((op == null) == (opc == null))
                {
                    throw new IllegalArgumentException(source + ": milenage needs exactly one of op and opc");
                }
                return op != null ? Milenage.withOp(key, Hex.decode(source + ": op", op, KEY_BYTES)) :
                    Milenage.withOpc(key, Hex.decode(source + ": opc", opc, KEY_BYTES));
            case TEST_USIM:
                if (op != null || opc != null)
                {
                    throw new IllegalArgumentException(source + ": test-usim takes no op or opc");
                }
                return new TestUsimAlgorithm(key);
            default:
                throw new IllegalArgumentException(source + ": algorithm must be milenage or test-usim, not '" +
                    Redaction.redact(name) + "'");
        }
    }

    public String toString()
    {
        return "SubscriberKeys{" + source + ", keys hidden}";
    }

    private static String once(final String where, final String name, final String previous, final String value)
    {
        if (previous != null)
        {
            throw new IllegalArgumentException(where + ": " + name + " given twice");
        }
        return value;
    }
}
