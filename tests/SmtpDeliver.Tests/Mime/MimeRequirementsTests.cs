using MimeKit;
using SmtpDeliver.Mime;

namespace SmtpDeliver.Tests.Mime;

/// <summary>What a message's structure needs from the server (RFC 6531/6532, RFC 3030), found without writing it.</summary>
public class MimeRequirementsTests
{
    private static MimeMessage WithTo(InternetAddress to)
    {
        var m = new MimeMessage();
        m.From.Add(MailboxAddress.Parse("a@example.org"));
        m.To.Add(to);
        m.Body = new TextPart("plain") { Text = "x" };
        return m;
    }

    private static InternetAddress Nested(int depth, MailboxAddress innermost)
    {
        InternetAddress address = innermost;
        for (var i = 0; i < depth; i++)
        {
            address = new GroupAddress("g" + i, [address]);
        }
        return address;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(10)]
    [InlineData(100)]
    public void A_non_ascii_local_part_inside_nested_groups_needs_smtputf8(int depth)
    {
        // RFC 5322 groups do not nest, but a message built in code can nest them: however deep, the mailbox is seen
        // (or, past the walk's depth, SMTPUTF8 is assumed), never skipped.
        var m = WithTo(Nested(depth, new MailboxAddress("", "jörg@example.com")));
        Assert.True((MimeRequirements.FromStructure(m) & DeliveryRequirements.SmtpUtf8) != 0);
    }

    [Fact]
    public void An_ascii_mailbox_inside_nested_groups_needs_nothing()
    {
        var m = WithTo(Nested(10, new MailboxAddress("", "joerg@example.com")));
        Assert.Equal(DeliveryRequirements.None, MimeRequirements.FromStructure(m));
    }
}
