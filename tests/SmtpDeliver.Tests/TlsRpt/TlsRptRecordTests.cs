using CsCheck;
using SmtpDeliver.TlsRpt;

namespace SmtpDeliver.Tests.TlsRpt;

/// <summary>The _smtp._tls TXT record (RFC 8460 3), mox's TestRecord and TestLookup inputs.</summary>
public class TlsRptRecordTests
{
    [Theory]
    [InlineData("v=TLSRPTv1; rua=mailto:tlsrpt@mox.example;", 1, 0)]
    [InlineData("v=TLSRPTv1; rua=mailto:tlsrpt@mox.example , \t\t https://mox.example/tlsrpt  ", 2, 0)]
    [InlineData("v=TLSRPTv1; rua=mailto:tlsrpt@mox.example; ext=yes", 1, 1)]
    [InlineData("v=TLSRPTv1 ; rua=mailto:x@x.example; rua=mailto:y@x.example", 2, 0)]
    public void Valid_records(string txt, int rua, int extensions)
    {
        var r = TlsRptRecord.Parse(txt);
        Assert.Equal((rua, extensions), (r.Rua.Count, r.Extensions.Count));
    }

    [Theory]
    [InlineData("v=TLSRPTv0")]
    [InlineData("v=TLSRPTv10")]
    [InlineData("v=TLSRPTv2")]
    [InlineData("v=TLSRPTv1")]
    [InlineData("v=TLSRPTv1;")]
    [InlineData("v=TLSRPTv1; ext=1")]
    [InlineData("v=TLSRPTv1; rua=")]
    [InlineData("v=TLSRPTv1; rua=noscheme")]
    [InlineData("v=TLSRPTv1; rua=,, ,")]
    [InlineData("v=TLSRPTv1; rua=mailto:x@x.example; more=")]
    [InlineData("v=TLSRPTv1; rua=mailto:x@x.example; a23456789012345678901234567890123=x")]
    [InlineData("v=TLSRPTv1; rua=mailto:x@x.example; 1%=a")]
    [InlineData("v=TLSRPTv1; rua=mailto:x@x.example; test==")]
    [InlineData("v=TLSRPTv1; rua=mailto:x@x.example;;")]
    [InlineData("v=TLSRPTv1; rua=mailto:x@x.example other")]
    [InlineData("v=TLSRPTv1; rua=http://bad/%")]
    public void Invalid_records(string txt) =>
        Assert.Equal(TlsRptRecordError.Syntax, Assert.Throws<TlsRptRecordException>(() => TlsRptRecord.Parse(txt)).Error);

    [Fact]
    public void Formats_as_text()
    {
        var r = new TlsRptRecord([new Uri("mailto:x@mox.example")], [new("more", "a"), new("ext", "2")]);
        Assert.Equal("v=TLSRPTv1; rua=mailto:x@mox.example; more=a; ext=2", r.ToString());
        Assert.Equal(r.ToString(), TlsRptRecord.Parse(r.ToString()).ToString());
    }

    [Fact]
    public void Lookup_picks_the_single_tlsrpt_txt()
    {
        Assert.Single(TlsRptRecord.FromTxt(["v=TLSRPTv1; rua=mailto:tlsrpt@mox.example", "other"]).Rua);
        Assert.Equal(TlsRptRecordError.MultipleRecords, Assert.Throws<TlsRptRecordException>(() => TlsRptRecord.FromTxt(["v=TLSRPTv1; rua=mailto:a@x.example", "v=TLSRPTv1; rua=mailto:b@x.example"])).Error);
        Assert.Equal(TlsRptRecordError.NoRecord, Assert.Throws<TlsRptRecordException>(() => TlsRptRecord.FromTxt([])).Error);
        Assert.Equal(TlsRptRecordError.NoRecord, Assert.Throws<TlsRptRecordException>(() => TlsRptRecord.FromTxt(["other"])).Error);
        Assert.Equal(TlsRptRecordError.Syntax, Assert.Throws<TlsRptRecordException>(() => TlsRptRecord.FromTxt(["v=TLSRPTv1; bad"])).Error);
    }

    [Fact]
    public void Parser_throws_only_its_exception_and_round_trips_what_it_accepts() =>
        Gen.OneOf(Gen.String[Gen.Char[' ', '~'], 0, 60].Select(s => "v=TLSRPTv1" + s), Gen.String).Sample(s =>
        {
            try
            {
                var r = TlsRptRecord.Parse(s);
                return TlsRptRecord.Parse(r.ToString()).ToString() == r.ToString();
            }
            catch (TlsRptRecordException)
            {
                return true;
            }
        }, iter: 5000);
}
