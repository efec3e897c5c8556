const USAGE = `atalaya <command> [options]

Commands:
  agent   run the edge agent (Modbus polling into the store-and-forward buffer)
  sim     run simulated Modbus devices (gas detector, flowmeter) over TCP and RTU
  demo    run the whole bench on this machine: simulators, agent, relay, DGA double, local chain
  relay   run the cloud relay (gateways sync to it); manage its gateways, tokens and key
  verify  check a record's anchor proof against any Ethereum node
  release make a release signing key; sign a release tarball (signed over-the-air updates)

Run 'atalaya <command> --help' for a command's options.
`;

/** CLI entry point: the only place that sets the exit code. */
async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    // Each command is loaded on demand: the agent on a gateway never pays for the relay's database
    // drivers, nor for the simulators and the demo (about 23 MiB of RSS, issue 18).
    case 'agent':
      return (await import('./agent.ts')).agentCommand(rest);
    case 'sim':
      return (await import('./sim.ts')).simCommand(rest);
    case 'demo':
      return (await import('./demo.ts')).demoCommand(rest);
    case 'relay':
      return (await import('./relay.ts')).relayCommand(rest);
    case 'verify':
      return (await import('./verify.ts')).verifyCommand(rest);
    case 'release':
      return (await import('./release.ts')).releaseCommand(rest);
    case undefined:
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return command === undefined ? 2 : 0;
    default:
      process.stderr.write(`atalaya: unknown command '${command}'\n\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS_')) {
      // node:util parseArgs: an unknown or malformed option is a usage error, not a crash.
      process.stderr.write(`atalaya: ${(err as Error).message}\n`);
      process.exit(2);
    }
    process.stderr.write(`atalaya: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
