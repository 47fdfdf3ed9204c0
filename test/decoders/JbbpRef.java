/*
 * JbbpRef: the reference side of the JBBP differential test and benchmark.
 * JBBP itself (Debian's libjbbp-java) parses; this harness adds what Live
 * Objects adds on top of it (the types float, double, utf8, asciichar and
 * uint, as a custom field type processor) and writes the parsed structure
 * as JSON the way iot.jbbp_parse does: lower-cased names, arrays under the
 * field's own name, unnamed fields left out, an unnamed structure's fields
 * merged into its parent.
 *
 *   java -cp jbbp.jar:. JbbpRef < cases        one "FORMAT<TAB>HEX" per line;
 *                                              prints JSON or "ERROR ..." per line
 *   java -cp jbbp.jar:. JbbpRef bench FORMAT FILE
 *                                              decodes every hex line of FILE
 *                                              (to JSON), prints the rate
 */
import com.igormaznitsa.jbbp.JBBPCustomFieldTypeProcessor;
import com.igormaznitsa.jbbp.JBBPParser;
import com.igormaznitsa.jbbp.compiler.JBBPNamedFieldInfo;
import com.igormaznitsa.jbbp.compiler.tokenizer.JBBPFieldTypeParameterContainer;
import com.igormaznitsa.jbbp.io.JBBPBitInputStream;
import com.igormaznitsa.jbbp.io.JBBPBitOrder;
import com.igormaznitsa.jbbp.io.JBBPByteOrder;
import com.igormaznitsa.jbbp.model.*;

import java.io.BufferedReader;
import java.io.EOFException;
import java.io.FileReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.util.ArrayList;
import java.util.List;

public final class JbbpRef {

  /** The Live Objects types. */
  static final class LoTypes implements JBBPCustomFieldTypeProcessor {
    private static final String[] TYPES = {"float", "double", "utf8", "asciichar", "uint"};

    @Override
    public String[] getCustomFieldTypes() {
      return TYPES;
    }

    @Override
    public boolean isAllowed(JBBPFieldTypeParameterContainer type, String name, int extra, boolean array) {
      return true;
    }

    private static int readByte(JBBPBitInputStream in) throws IOException {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("end of stream");
      }
      return b;
    }

    /** One UTF-8 character, appended unless it is NUL. */
    private static void utf8Char(JBBPBitInputStream in, StringBuilder sb) throws IOException {
      int b = readByte(in);
      int n;
      int cp;
      if (b < 0x80) {
        if (b != 0) {
          sb.append((char) b);
        }
        return;
      } else if (b >= 0xC2 && b <= 0xDF) {
        n = 2;
        cp = b & 0x1F;
      } else if (b >= 0xE0 && b <= 0xEF) {
        n = 3;
        cp = b & 0x0F;
      } else if (b >= 0xF0 && b <= 0xF4) {
        n = 4;
        cp = b & 0x07;
      } else {
        throw new IOException("invalid UTF-8");
      }
      for (int i = 1; i < n; i++) {
        int c = readByte(in);
        if ((c & 0xC0) != 0x80) {
          throw new IOException("invalid UTF-8");
        }
        cp = (cp << 6) | (c & 0x3F);
      }
      if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF)) {
        throw new IOException("invalid UTF-8");
      }
      sb.appendCodePoint(cp);
    }

    @Override
    public JBBPAbstractField readCustomFieldType(JBBPBitInputStream in, JBBPBitOrder bitOrder, int flags,
        JBBPFieldTypeParameterContainer type, JBBPNamedFieldInfo name, int extra, boolean whole, int length)
        throws IOException {
      final JBBPByteOrder order = type.getByteOrder();
      final boolean array = whole || length >= 0;
      final int n = whole ? -1 : length;
      switch (type.getTypeName()) {
        case "float":
          return array ? new JBBPFieldArrayFloat(name, in.readFloatArray(n, order))
              : new JBBPFieldFloat(name, in.readFloat(order));
        case "double":
          return array ? new JBBPFieldArrayDouble(name, in.readDoubleArray(n, order))
              : new JBBPFieldDouble(name, in.readDouble(order));
        case "uint": {
          if (!array) {
            return new JBBPFieldLong(name, in.readInt(order) & 0xFFFFFFFFL);
          }
          int[] ints = in.readIntArray(n, order);
          long[] longs = new long[ints.length];
          for (int i = 0; i < ints.length; i++) {
            longs[i] = ints[i] & 0xFFFFFFFFL;
          }
          return new JBBPFieldArrayLong(name, longs);
        }
        case "utf8":
        case "asciichar": {
          final boolean utf8 = type.getTypeName().equals("utf8");
          final StringBuilder sb = new StringBuilder();
          final int count = array ? n : 1;
          for (int i = 0; whole ? in.hasAvailableData() : i < count; i++) {
            if (utf8) {
              utf8Char(in, sb);
            } else {
              int b = readByte(in);
              if (b != 0) {
                sb.append((char) b);
              }
            }
          }
          return new JBBPFieldString(name, sb.toString());
        }
        default:
          throw new IOException("unknown type " + type.getTypeName());
      }
    }
  }

  private static void string(StringBuilder out, String s) {
    out.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        out.append('\\').append(c);
      } else if (c < 0x20) {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    out.append('"');
  }

  private static void number(StringBuilder out, double d, boolean isFloat) {
    if (Double.isNaN(d)) {
      out.append("\"NaN\"");
    } else if (Double.isInfinite(d)) {
      out.append(d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    } else {
      out.append(isFloat ? Float.toString((float) d) : Double.toString(d));
    }
  }

  /** A field's value (not its name). */
  private static void value(StringBuilder out, JBBPAbstractField f) {
    if (f instanceof JBBPFieldStruct) {
      out.append('{');
      members(out, (JBBPFieldStruct) f, new boolean[] {true});
      out.append('}');
    } else if (f instanceof JBBPFieldString) {
      string(out, ((JBBPFieldString) f).getAsString());
    } else if (f instanceof JBBPFieldBoolean) {
      out.append(((JBBPFieldBoolean) f).getAsBool());
    } else if (f instanceof JBBPFieldFloat) {
      number(out, ((JBBPFieldFloat) f).getAsFloat(), true);
    } else if (f instanceof JBBPFieldDouble) {
      number(out, ((JBBPFieldDouble) f).getAsDouble(), false);
    } else if (f instanceof JBBPNumericField) {
      out.append(((JBBPNumericField) f).getAsLong());
    } else if (f instanceof JBBPAbstractArrayField) {
      JBBPAbstractArrayField<?> a = (JBBPAbstractArrayField<?>) f;
      out.append('[');
      for (int i = 0; i < a.size(); i++) {
        if (i > 0) {
          out.append(',');
        }
        value(out, a.getElementAt(i));
      }
      out.append(']');
    } else {
      throw new IllegalStateException("unexpected field " + f.getClass());
    }
  }

  private static void members(StringBuilder out, JBBPFieldStruct s, boolean[] first) {
    for (JBBPAbstractField f : s.getArray()) {
      JBBPNamedFieldInfo info = f.getNameInfo();
      if (info == null) {
        if (f instanceof JBBPFieldStruct) {
          members(out, (JBBPFieldStruct) f, first);   /* an unnamed structure joins its parent */
        }
        continue;
      }
      if (!first[0]) {
        out.append(',');
      }
      first[0] = false;
      string(out, info.getFieldName());
      out.append(':');
      value(out, f);
    }
  }

  static String toJson(JBBPFieldStruct root) {
    StringBuilder out = new StringBuilder(256);
    out.append('{');
    members(out, root, new boolean[] {true});
    out.append('}');
    return out.toString();
  }

  static byte[] unhex(String s) {
    byte[] b = new byte[s.length() / 2];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) Integer.parseInt(s.substring(2 * i, 2 * i + 2), 16);
    }
    return b;
  }

  static JBBPParser prepare(String format) {
    return JBBPParser.prepare(format, JBBPBitOrder.LSB0, new LoTypes(), 0);
  }

  public static void main(String[] args) throws Exception {
    if (args.length == 3 && args[0].equals("bench")) {
      bench(args[1], args[2]);
      return;
    }
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
    StringBuilder out = new StringBuilder();
    String line;
    while ((line = in.readLine()) != null) {
      int tab = line.indexOf('\t');
      String format = line.substring(0, tab).replace("\\n", "\n");
      String hex = line.substring(tab + 1);
      try {
        out.append(toJson(prepare(format).parse(unhex(hex))));
      } catch (Throwable e) {
        out.append("ERROR ").append(e.getClass().getSimpleName()).append(": ")
            .append(String.valueOf(e.getMessage()).replace('\n', ' '));
      }
      out.append('\n');
    }
    System.out.print(out);
  }

  /** Decode every payload of a file to JSON; an untimed warm-up, then the best of five passes. */
  static void bench(String format, String file) throws Exception {
    List<byte[]> payloads = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new FileReader(file))) {
      String line;
      while ((line = r.readLine()) != null) {
        payloads.add(unhex(line.trim()));
      }
    }
    JBBPParser parser = prepare(format);
    long sink = 0;
    for (int i = 0; i < Math.min(payloads.size(), 200000); i++) {
      sink += toJson(parser.parse(payloads.get(i))).length();
    }
    double secs = Double.MAX_VALUE;
    for (int pass = 0; pass < 5; pass++) {    /* the best of five passes */
      long t0 = System.nanoTime();
      for (byte[] p : payloads) {
        sink += toJson(parser.parse(p)).length();
      }
      secs = Math.min(secs, (System.nanoTime() - t0) / 1e9);
    }
    System.out.printf("%d %.3f %.0f %d%n", payloads.size(), secs, payloads.size() / secs, sink);
  }
}
