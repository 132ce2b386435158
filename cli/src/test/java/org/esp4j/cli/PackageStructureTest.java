package org.esp4j.cli;

import org.esp4j.core.esp.EspProcessor;
import org.esp4j.sip.SipBridge;
import org.esp4j.tun.daemon.EspDaemon;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.spi.ToolProvider;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The packages of the libraries and the command line depend on each other without a cycle (as the JDK's
 * {@code jdeps} reads the compiled classes), and only the command line has a {@code main}.
 */
class PackageStructureTest
{
    private static final Pattern PACKAGE_EDGE = Pattern.compile("^\\s+(org\\.esp4j\\.\\S+)\\s+->\\s+(org\\.esp4j\\.\\S+)");

    @Test
    void shouldHaveNoPackageCycleInAnyModule() throws Exception
    {
        final Map<String, Set<String>> edges = packageEdges(modules());
        // the scan saw the dependencies it has to see (a broken jdeps parse would pass vacuously)
        assertTrue(edges.getOrDefault("org.esp4j.cli.run", Set.of()).contains("org.esp4j.tun.daemon") &&
            edges.getOrDefault("org.esp4j.core.sa", Set.of()).contains("org.esp4j.core.crypto"), edges.toString());

        final List<Set<String>> cycles = cycles(edges);
        assertTrue(cycles.isEmpty(), () -> describe(cycles, edges));
    }

    @Test
    void shouldFindACycleWhereTwoPackagesUseEachOther()
    {
        final Map<String, Set<String>> edges = new TreeMap<>();
        edges.put("a", Set.of("b"));
        edges.put("b", Set.of("c"));
        edges.put("c", Set.of("b", "d"));
        assertEquals(List.of(Set.of("b", "c")), cycles(edges));
    }

    @Test
    void shouldHaveNoMainInTheLibraries() throws Exception
    {
        final List<String> mains = new ArrayList<>();
        for (final Path module : List.of(codeSource(EspProcessor.class), codeSource(SipBridge.class),
            codeSource(EspDaemon.class)))
        {
            for (final String className : classNames(module))
            {
                final Class<?> type = Class.forName(className, false, getClass().getClassLoader());
                for (final Method method : type.getDeclaredMethods())
                {
                    if ("main".equals(method.getName()) && Modifier.isStatic(method.getModifiers()) &&
                        method.getParameterCount() == 1 && method.getParameterTypes()[0] == String[].class)
                    {
                        mains.add(className);
                    }
                }
            }
        }
        assertEquals(List.of(), mains, "a command belongs to the cli module (Esp4jMain dispatches to it)");
    }

    private static List<Path> modules() throws URISyntaxException
    {
        return List.of(codeSource(EspProcessor.class), codeSource(SipBridge.class), codeSource(EspDaemon.class),
            codeSource(Esp4jMain.class));
    }

    private static Path codeSource(final Class<?> type) throws URISyntaxException
    {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
    }

    /** @return package to the packages it uses, as {@code jdeps -verbose:package} reports them. */
    private static Map<String, Set<String>> packageEdges(final List<Path> modules)
    {
        final ToolProvider jdeps = ToolProvider.findFirst("jdeps")
            .orElseThrow(() -> new IllegalStateException("this JDK has no jdeps"));
        final List<String> args = new ArrayList<>(List.of("-verbose:package", "-filter:none"));
        modules.forEach(module -> args.add(module.toString()));
        final ByteArrayOutputStream out = new ByteArrayOutputStream();
        final ByteArrayOutputStream err = new ByteArrayOutputStream();
        final int status = jdeps.run(new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8), args.toArray(String[]::new));
        assertEquals(0, status, err.toString(StandardCharsets.UTF_8));
        final Map<String, Set<String>> edges = new TreeMap<>();
        for (final String line : out.toString(StandardCharsets.UTF_8).split("\n"))
        {
            final Matcher matcher = PACKAGE_EDGE.matcher(line);
            if (matcher.find() && !matcher.group(1).equals(matcher.group(2)))
            {
                edges.computeIfAbsent(matcher.group(1), k -> new TreeSet<>()).add(matcher.group(2));
            }
        }
        return edges;
    }

    /** @return the strongly connected components of more than one package (Tarjan's algorithm). */
    static List<Set<String>> cycles(final Map<String, Set<String>> edges)
    {
        final Map<String, Integer> index = new HashMap<>();
        final Map<String, Integer> lowLink = new HashMap<>();
        final Deque<String> stack = new ArrayDeque<>();
        final List<Set<String>> cycles = new ArrayList<>();
        for (final String node : edges.keySet())
        {
            if (!index.containsKey(node))
            {
                connect(node, edges, index, lowLink, stack, cycles);
            }
        }
        return cycles;
    }

    private static void connect(final String node, final Map<String, Set<String>> edges,
        final Map<String, Integer> index, final Map<String, Integer> lowLink, final Deque<String> stack,
        final List<Set<String>> cycles)
    {
        index.put(node, index.size());
        lowLink.put(node, index.get(node));
        stack.push(node);
        for (final String next : edges.getOrDefault(node, Set.of()))
        {
            if (!index.containsKey(next))
            {
                connect(next, edges, index, lowLink, stack, cycles);
                lowLink.put(node, Math.min(lowLink.get(node), lowLink.get(next)));
            }
            else if (stack.contains(next))
            {
                lowLink.put(node, Math.min(lowLink.get(node), index.get(next)));
            }
        }
        if (lowLink.get(node).equals(index.get(node)))
        {
            final Set<String> component = new TreeSet<>();
            String member;
            do
            {
                member = stack.pop();
                component.add(member);
            }
            while (!member.equals(node));
            if (component.size() > 1)
            {
                cycles.add(component);
            }
        }
    }

    private static String describe(final List<Set<String>> cycles, final Map<String, Set<String>> edges)
    {
        final StringBuilder sb = new StringBuilder("package cycles:");
        for (final Set<String> cycle : cycles)
        {
            for (final String from : cycle)
            {
                final Set<String> inCycle = new TreeSet<>(edges.getOrDefault(from, Set.of()));
                inCycle.retainAll(cycle);
                sb.append("\n  ").append(from).append(" -> ").append(inCycle);
            }
        }
        return sb.toString();
    }

    private static List<String> classNames(final Path module) throws IOException
    {
        final List<String> names = new ArrayList<>();
        if (Files.isDirectory(module))
        {
            try (Stream<Path> files = Files.walk(module))
            {
                files.map(file -> module.relativize(file).toString()).forEach(name -> addClassName(names, name));
            }
        }
        else
        {
            try (JarFile jar = new JarFile(module.toFile()))
            {
                jar.stream().forEach(entry -> addClassName(names, entry.getName()));
            }
        }
        return names;
    }

    private static void addClassName(final List<String> names, final String fileName)
    {
        final String name = fileName.replace('\\', '/');
        if (name.endsWith(".class") && !name.endsWith("module-info.class") && !name.startsWith("META-INF/"))
        {
            names.add(name.substring(0, name.length() - ".class".length()).replace('/', '.'));
        }
    }
}
