# A real SMTP server for the email channel's tests: Debian's aiosmtpd (python3-aiosmtpd), not our
# code. Stores each message as <n>.eml in --dir and prints one JSON line per message; RCPT to a
# mailbox starting with "reject" gets 550, with "defer" 450.
#   /usr/bin/python3 smtp-sink.py --port N --dir DIR [--auth USER:PASSWORD] [--starttls CERT KEY | --tls CERT KEY]
import argparse, asyncio, json, os, signal, ssl, sys
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

p = argparse.ArgumentParser()
p.add_argument('--port', type=int, required=True)
p.add_argument('--dir', required=True)
p.add_argument('--auth')
p.add_argument('--starttls', nargs=2)
p.add_argument('--tls', nargs=2)
args = p.parse_args()


class Sink:
    def __init__(self):
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith('reject'):
            return '550 5.1.1 no such mailbox'
        if address.startswith('defer'):
            return '450 4.2.1 mailbox busy, try later'
        envelope.rcpt_tos.append(address)
        return '250 OK'

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = os.path.join(args.dir, '%d.eml' % self.count)
        with open(name, 'wb') as f:
            f.write(envelope.original_content)
        print(json.dumps({'file': name, 'from': envelope.mail_from, 'to': envelope.rcpt_tos, 'tls': session.ssl is not None or server.transport.get_extra_info('ssl_object') is not None,
                          'auth': session.authenticated}), flush=True)
        return '250 2.0.0 Ok: queued as SINK%d' % self.count


def authenticator(server, session, envelope, mechanism, auth_data):
    if not isinstance(auth_data, LoginPassword):
        return AuthResult(success=False, handled=False)
    user, password = args.auth.split(':', 1)
    ok = auth_data.login.decode() == user and auth_data.password.decode() == password
    return AuthResult(success=ok, handled=False)


kwargs = {}
if args.auth:
    kwargs.update(authenticator=authenticator, auth_required=True, auth_require_tls=bool(args.starttls))
if args.starttls:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.starttls[0], args.starttls[1])
    kwargs.update(tls_context=context, require_starttls=True)
if args.tls:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(args.tls[0], args.tls[1])
    kwargs.update(ssl_context=context)

# Blocked in every thread (the controller's too), so sigwait below receives them.
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGTERM, signal.SIGINT})
controller = Controller(Sink(), hostname='127.0.0.1', port=args.port, **kwargs)
controller.start()
print(json.dumps({'ready': args.port}), flush=True)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
controller.stop()
