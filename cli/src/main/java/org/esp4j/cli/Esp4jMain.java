package org.esp4j.cli;

import org.esp4j.core.redact.Redaction;
import org.esp4j.cli.pcap.PcapTool;
import org.esp4j.cli.pcap.WiresharkTool;
import org.esp4j.cli.sip.SipReplayCommand;
import org.esp4j.cli.control.ControlClient;
import org.esp4j.cli.run.RunCommand;

import java.io.PrintStream;
import java.util.Arrays;

/**
 * Entry point of the {@code esp4j} command line: dispatches to the sub-commands.
 */
public final class Esp4jMain
{
    static final String USAGE = String.join(System.lineSeparator(),
        "usage: esp4j <command> [arguments]        (esp4j <command> --help for one command's synopsis)",
        "",
        "  run [--config FILE] [--tun NAME] [--carrier raw|udp|both] [--steer PREFIX] [--socket PATH]",
        "      [--log-level error|warn|info|debug]",
        "      [--sip-bridge ue|pcscf [--k K (--op OP|--opc OPC)] [--aka milenage|test-usim]]",
        "                                                       start the ESP daemon (root or CAP_NET_ADMIN)",
        "  xfrm [--tun NAME|--socket PATH] state add|update|del|get|list|deleteall|flush|count ...",
        "                                                       SAs, as 'ip xfrm state'",
        "  xfrm [--tun NAME|--socket PATH] policy add|update|del|get|list|flush|count ...",
        "                                                       policies, as 'ip xfrm policy'",
        "  xfrm [--tun NAME|--socket PATH] monitor [all|SA|expire|acquire]   stream events, as 'ip xfrm monitor'",
        "  stat [--sa] [--watch [SECONDS] [--count N]] [--tun NAME|--socket PATH|--counters PATH]",
        "                                                       counters as /proc/net/xfrm_stat and 'ip -s xfrm state'",
        "  pcap protect|unprotect --sa FILE [--verdicts] IN OUT   apply or check ESP on a capture, offline",
        "  wireshark --sa FILE                                  print Wireshark esp_sa lines for the SAs in FILE",
        "  sip replay TRACE [--role ue|pcscf] [--k K (--op OP|--opc OPC)] [--algorithm milenage|test-usim] [--keys]",
        "                                                       run a SIP trace through the sec-agree state machine",
        "  sim ue|pcscf [options]                               IMS registration simulators on real sockets",
        "  demo [--ipv4] [--carrier raw|udp] [--keep] ...       the seed's IMS registration with IPsec, live (root)",
        "",
        "SA files hold one SA per line in 'ip xfrm state add' syntax (a preload file or 'xfrm state list --keys'",
        "output also does). The xfrm and stat commands talk to the daemon's control socket: --tun NAME",
        "(/run/esp4j/NAME.sock), --socket PATH, $ESP4J_SOCKET, or the only socket in /run/esp4j.",
        "Exit status: 0 done, 1 failed at run time, 2 bad usage or input; errors are one line, 'esp4j <command>: ...'.");

    private Esp4jMain()
    {
    }

    public static void main(final String[] args)
    {
        // whatever a command echoes in an error, no key reaches the terminal or a log
        final PrintStream err = Redaction.redacting(System.err);
        System.setErr(err);
        System.exit(run(args, System.out, err));
    }

    /**
     * @param args command line.
     * @param out  standard output.
     * @param err  standard error.
     * @return exit status: 0 success, 1 failure at run time, 2 bad usage or input.
     */
    public static int run(final String[] args, final PrintStream out, final PrintStream err)
    {
        if (args.length == 0 || "-h".equals(args[0]) || "--help".equals(args[0]) || "help".equals(args[0]))
        {
            (args.length == 0 ? err : out).println(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        final String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0])
        {
            case "run":
                try
                {
                    return RunCommand.run(rest, out, err);
                }
                catch (final InterruptedException ex)
                {
                    Thread.currentThread().interrupt();
                    return 1;
                }
            case "xfrm":
                return ControlClient.runXfrm(rest, out, err);
            case "stat":
                return ControlClient.runStat(rest, out, err);
            case "pcap":
                return PcapTool.run(rest, out, err);
            case "wireshark":
                return WiresharkTool.run(rest, out, err);
            case "sim":
                return org.esp4j.cli.sip.SimCommand.run(rest, out, err);
            case "demo":
                return org.esp4j.cli.demo.DemoCommand.run(rest, out, err);
            case "sip":
                if (rest.length == 1 && ("-h".equals(rest[0]) || "--help".equals(rest[0])))
                {
                    out.println(SipReplayCommand.USAGE);
                    return 0;
                }
                if (rest.length == 0 || !"replay".equals(rest[0]))
                {
                    err.println("esp4j sip: expected 'replay'");
                    err.println(SipReplayCommand.USAGE);
                    return 2;
                }
                return SipReplayCommand.run(Arrays.copyOfRange(rest, 1, rest.length), out, err);
            default:
                err.println("esp4j: unknown command '" + args[0] + "'");
                err.println(USAGE);
                return 2;
        }
    }
}
