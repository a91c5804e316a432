"""The DNS server inside each VPC network (169.254.169.254:53, UDP), answering
Compute Engine's internal names with dnspython's message handling."""

from __future__ import annotations

import asyncio
import logging
from typing import cast

import dns.exception
import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.rdatatype
import dns.rrset

from nimbus.services.compute.internal_dns import InternalDns

log = logging.getLogger("nimbus.dns")
TTL = 30


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("a DNS answer failed: %s", task.exception())


class DnsProtocol(asyncio.DatagramProtocol):
    def __init__(self, resolver: InternalDns, network_id: int) -> None:
        self.resolver = resolver
        self.network_id = network_id
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transport is not a subclass of asyncio's, but has the same methods.
        self.transport = cast(asyncio.DatagramTransport, transport)

    def datagram_received(self, data: bytes, addr: tuple[str | object, int]) -> None:
        task = asyncio.get_running_loop().create_task(self._answer(data, addr))
        task.add_done_callback(_log_failure)

    async def _answer(self, data: bytes, addr: tuple[str | object, int]) -> None:
        try:
            query = dns.message.from_wire(data)
        except dns.exception.DNSException:
            return
        reply = await asyncio.to_thread(self.reply_to, query)
        if self.transport is not None:
            self.transport.sendto(reply.to_wire(), addr)

    def reply_to(self, query: dns.message.Message) -> dns.message.Message:
        reply = dns.message.make_response(query)
        reply.flags |= dns.flags.AA | dns.flags.RA
        if len(query.question) != 1:
            reply.set_rcode(dns.rcode.FORMERR)
            return reply
        question = query.question[0]
        address = self.resolver.resolve(self.network_id, question.name.to_text())
        if address is None:
            reply.set_rcode(dns.rcode.NXDOMAIN)
        elif question.rdtype == dns.rdatatype.A:
            reply.answer.append(
                dns.rrset.from_text(question.name, TTL, dns.rdataclass.IN, dns.rdatatype.A, address)
            )
        return reply
