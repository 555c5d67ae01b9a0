using SmtpDeliver.Names;

namespace SmtpDeliver.Tests.Dns;

public class DomainTests
{
    [Fact]
    public void Unicode_name_has_ascii_a_label_form()
    {
        var d = Domain.Parse("München.Example");
        Assert.Equal("xn--mnchen-3ya.example", d.Ascii);
        Assert.Equal("münchen.example", d.Unicode);
    }

    [Theory]
    [InlineData("")]
    [InlineData("example.")]
    [InlineData("-bad.example")]
    [InlineData("a..example")]
    [InlineData("under_score.example")]
    public void Invalid_names_are_rejected_strictly(string name) => Assert.Throws<FormatException>(() => Domain.Parse(name));

    [Fact]
    public void Lax_parsing_allows_underscores() => Assert.Equal("under_score.example", Domain.ParseLax("under_score.example").Ascii);

    [Fact]
    public void Default_domain_is_empty() => Assert.True(default(Domain).IsEmpty);
}
