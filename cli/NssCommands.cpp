// SPDX-License-Identifier: GPL-2.0-or-later
#include "NssCommands.hpp"

#include "CertutilListing.hpp"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <set>

#include <ikemesh/result.hpp>

namespace ikemesh::cli {

namespace {

/// What one run of an NSS tool said.
struct ToolRun {
  int exitCode = -1;
  std::string out;
  std::string err;
  bool ok() const { return exitCode == 0; }
  /// stderr (else stdout) without the trailing newline, for error messages.
  std::string said() const {
    std::string text = err.empty() ? out : err;
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
    return text;
  }
};

ToolRun runTool(const QString& program, const QStringList& arguments) {
  QProcess process;
  process.start(program, arguments);
  ToolRun run;
  if (!process.waitForStarted(10000)) {
    run.err = program.toStdString() +
              " did not start (is libnss3-tools installed?): " + process.errorString().toStdString();
    return run;
  }
  process.closeWriteChannel();
  process.waitForFinished(120000);
  run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
  run.out = process.readAllStandardOutput().toStdString();
  run.err = process.readAllStandardError().toStdString();
  return run;
}

/// "sql:/var/lib/ikemesh/nss" -> "/var/lib/ikemesh/nss"; a plain path stays as it is.
QString plainDirectory(const std::string& nssdir) {
  return QString::fromStdString(nssdir.rfind("sql:", 0) == 0 ? nssdir.substr(4) : nssdir);
}
QString sqlDirectory(const std::string& nssdir) {
  return "sql:" + plainDirectory(nssdir);
}

/// The files an NSS database consists of, sql format first, then the old dbm format.
const QStringList kDatabaseFiles = {"cert9.db", "key4.db", "pkcs11.txt", "cert8.db", "key3.db", "secmod.db"};

bool databaseExists(const std::string& nssdir) {
  QDir dir(plainDirectory(nssdir));
  return dir.exists("cert9.db") || dir.exists("key4.db");
}

int failure(const std::string& verb, const std::string& message) {
  std::cerr << "ikemesh: " << verb << ": " << message << "\n";
  return 1;
}
int usageError(const std::string& verb, const std::string& message) {
  std::cerr << "ikemesh: " << verb << ": " << message << "\n" << nssCommandsUsage();
  return 2;
}

using Listed = ListedCertificate;

Result<std::vector<Listed>> listCertificates(const std::string& nssdir, std::string* raw = nullptr) {
  auto run = runTool("certutil", {"-L", "-d", sqlDirectory(nssdir)});
  if (!run.ok()) return fail("certutil -L -d " + sqlDirectory(nssdir).toStdString() + ": " + run.said());
  if (raw) *raw = run.out;
  return parseCertutilListing(run.out);
}

/// The value of `--name VALUE` / `--name=VALUE` at `i`, advancing `i`; nullopt when absent.
std::optional<std::string> optionValue(const std::vector<std::string>& args, std::size_t& i,
                                       const std::string& name) {
  if (args[i] == name && i + 1 < args.size()) return args[++i];
  if (args[i].rfind(name + "=", 0) == 0) return args[i].substr(name.size() + 1);
  return std::nullopt;
}

/// Options shared by the verbs, and the positional arguments.
struct Arguments {
  std::string nssdir = kDefaultNssDirectory;
  bool force = false;
  std::optional<std::string> passwordFile;
  std::vector<std::string> positional;
};

Result<Arguments> parseArguments(const std::vector<std::string>& args, const std::set<std::string>& allowed) {
  Arguments parsed;
  for (std::size_t i = 1; i < args.size(); ++i) {
    if (allowed.count("--nssdir"))
      if (auto v = optionValue(args, i, "--nssdir")) {
        parsed.nssdir = *v;
        continue;
      }
    if (allowed.count("--password-file"))
      if (auto v = optionValue(args, i, "--password-file")) {
        parsed.passwordFile = *v;
        continue;
      }
    if (allowed.count("--force") && args[i] == "--force") {
      parsed.force = true;
      continue;
    }
    if (args[i].rfind("--", 0) == 0) return fail("unknown or incomplete option '" + args[i] + "'");
    parsed.positional.push_back(args[i]);
  }
  return parsed;
}

int initNss(const std::vector<std::string>& args) {
  auto parsed = parseArguments(args, {"--nssdir", "--force"});
  if (!parsed) return usageError("initnss", parsed.error().message);
  if (!parsed->positional.empty())
    return usageError("initnss", "unexpected argument '" + parsed->positional[0] + "'");
  const QString dir = plainDirectory(parsed->nssdir);
  if (databaseExists(parsed->nssdir)) {
    if (!parsed->force)
      return failure("initnss", "an NSS database exists in " + dir.toStdString() +
                                    "; not overwriting it (use --force to replace it and lose its keys)");
    for (const auto& file : kDatabaseFiles) QFile::remove(dir + "/" + file);
  }
  if (!QDir().mkpath(dir)) return failure("initnss", "cannot create " + dir.toStdString());
  QFile::setPermissions(dir, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
  // No password: the daemon opens the database unattended (as Libreswan's `ipsec initnss`).
  auto run = runTool("certutil", {"-N", "-d", "sql:" + dir, "--empty-password"});
  if (!run.ok()) return failure("initnss", "certutil -N: " + run.said());
  std::cout << "initialised the NSS database sql:" << dir.toStdString() << " (no password)\n";
  return 0;
}

/// Reads a password from the terminal without echo.
Result<std::string> askPassword(const std::string& prompt) {
  const int tty = ::open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (tty < 0) return fail("no terminal to ask the password on; use --password-file FILE");
  termios saved{};
  const bool isTerminal = ::tcgetattr(tty, &saved) == 0;
  if (isTerminal) {
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    ::tcsetattr(tty, TCSANOW, &quiet);
  }
  (void)!::write(tty, prompt.data(), prompt.size());
  std::string password;
  char c;
  while (::read(tty, &c, 1) == 1 && c != '\n') password += c;
  if (isTerminal) ::tcsetattr(tty, TCSANOW, &saved);
  (void)!::write(tty, "\n", 1);
  ::close(tty);
  return password;
}

bool writePrivateFile(const QString& path, const std::string& content) {
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate)) return false;
  file.setPermissions(QFile::ReadOwner | QFile::WriteOwner);
  return file.write(content.data(), static_cast<qint64>(content.size())) ==
         static_cast<qint64>(content.size());
}

/// `certutil -L -n NICK`'s Subject and Issuer lines are equal for a self-signed (root) CA.
bool selfSigned(const std::string& nssdir, const std::string& nickname) {
  auto run = runTool("certutil", {"-L", "-d", sqlDirectory(nssdir), "-n", QString::fromStdString(nickname)});
  if (!run.ok()) return false;
  auto field = [&](const std::string& name) {
    auto at = run.out.find(name);
    if (at == std::string::npos) return std::string();
    auto end = run.out.find('\n', at);
    return run.out.substr(at + name.size(), end - at - name.size());
  };
  const auto issuer = field("Issuer: ");
  return !issuer.empty() && issuer == field("Subject: ");
}

int importP12(const std::vector<std::string>& args) {
  auto parsed = parseArguments(args, {"--nssdir", "--password-file"});
  if (!parsed) return usageError("import", parsed.error().message);
  if (parsed->positional.size() != 1) return usageError("import", "give exactly one FILE.p12");
  const std::string file = parsed->positional[0];
  if (!QFileInfo(QString::fromStdString(file)).isReadable()) return failure("import", "cannot read " + file);
  if (!databaseExists(parsed->nssdir))
    return failure("import", "no NSS database in " + plainDirectory(parsed->nssdir).toStdString() +
                                 "; create it with `ikemesh initnss`");
  QTemporaryDir scratch;  // mode 0700: the password never lands anywhere else
  if (!scratch.isValid()) return failure("import", "cannot create a temporary directory");
  QString passwordFile;
  if (parsed->passwordFile) {
    passwordFile = QString::fromStdString(*parsed->passwordFile);
    if (!QFileInfo(passwordFile).isReadable())
      return failure("import", "cannot read " + *parsed->passwordFile);
  } else {
    auto password = askPassword("Enter the password of " + file + ": ");
    if (!password) return failure("import", password.error().message);
    passwordFile = scratch.filePath("p12-password");
    if (!writePrivateFile(passwordFile, *password + "\n"))
      return failure("import", "cannot write a password file");
  }
  const QString databasePassword = scratch.filePath("db-password");
  writePrivateFile(databasePassword, "");
  auto before = listCertificates(parsed->nssdir);
  if (!before) return failure("import", before.error().message);
  // pk12util checks the file's MAC with the password before it imports anything, so a wrong
  // password leaves the database as it was.
  auto run = runTool("pk12util", {"-i", QString::fromStdString(file), "-d", sqlDirectory(parsed->nssdir),
                                  "-k", databasePassword, "-w", passwordFile});
  if (!run.ok()) {
    const std::string said = run.said();
    if (said.find("SEC_ERROR_BAD_PASSWORD") != std::string::npos ||
        said.find("not verified") != std::string::npos)
      return failure("import", "wrong password for " + file + " (the database is unchanged)");
    return failure("import", "pk12util: " + said);
  }
  auto after = listCertificates(parsed->nssdir);
  if (!after) return failure("import", after.error().message);
  std::set<std::string> known;
  for (const auto& listed : *before) known.insert(listed.nickname);
  std::cout << "imported " << file << " into " << sqlDirectory(parsed->nssdir).toStdString() << "\n";
  for (const auto& listed : *after) {
    if (known.count(listed.nickname)) continue;
    std::cout << "  " << listed.nickname
              << (listed.hasKey() ? " (certificate and private key)" : " (certificate)") << "\n";
    // The CA that came with the node's certificate is the mesh's trust anchor: trust it for
    // peer certificates, as the guide's next step would with `certutil -M -t CT,,`.
    if (!listed.hasKey() && !listed.trustedCa() && selfSigned(parsed->nssdir, listed.nickname)) {
      auto trust = runTool("certutil", {"-M", "-d", sqlDirectory(parsed->nssdir), "-n",
                                        QString::fromStdString(listed.nickname), "-t", "CT,,"});
      if (!trust.ok())
        return failure("import", "certutil -M -t CT,, -n " + listed.nickname + ": " + trust.said());
      std::cout << "  " << listed.nickname << ": trusted as CA for peer certificates (CT,,)\n";
    }
  }
  return 0;
}

int listCerts(const std::vector<std::string>& args) {
  auto parsed = parseArguments(args, {"--nssdir"});
  if (!parsed) return usageError("listcerts", parsed.error().message);
  if (!parsed->positional.empty())
    return usageError("listcerts", "unexpected argument '" + parsed->positional[0] + "'");
  if (!databaseExists(parsed->nssdir))
    return failure("listcerts", "no NSS database in " + plainDirectory(parsed->nssdir).toStdString());
  std::string raw;
  auto listed = listCertificates(parsed->nssdir, &raw);
  if (!listed) return failure("listcerts", listed.error().message);
  std::cout << raw;
  return 0;
}

int checkNss(const std::vector<std::string>& args) {
  auto parsed = parseArguments(args, {"--nssdir"});
  if (!parsed) return usageError("checknss", parsed.error().message);
  if (!parsed->positional.empty())
    return usageError("checknss", "unexpected argument '" + parsed->positional[0] + "'");
  const std::string where = sqlDirectory(parsed->nssdir).toStdString();
  if (!databaseExists(parsed->nssdir))
    return failure("checknss", "no NSS database (cert9.db, key4.db) in " +
                                   plainDirectory(parsed->nssdir).toStdString() +
                                   "; create it with `ikemesh initnss`");
  auto listed = listCertificates(parsed->nssdir);
  if (!listed) return failure("checknss", listed.error().message);
  // The daemon opens the database unattended: a password would stop it.
  QTemporaryDir scratch;
  const QString empty = scratch.filePath("empty");
  writePrivateFile(empty, "");
  auto keys = runTool("certutil", {"-K", "-d", sqlDirectory(parsed->nssdir), "-f", empty});
  const bool keysReadable = keys.ok() || keys.said().find("no keys found") != std::string::npos;
  std::vector<std::string> withKey, authorities;
  for (const auto& cert : *listed) {
    if (cert.hasKey()) withKey.push_back(cert.nickname);
    if (cert.trustedCa()) authorities.push_back(cert.nickname);
  }
  auto joined = [](const std::vector<std::string>& names) {
    std::string out;
    for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
    return out.empty() ? std::string("none") : out;
  };
  std::cout << "NSS database " << where << "\n"
            << "  certificates:         " << listed->size() << "\n"
            << "  with a private key:   " << joined(withKey) << "\n"
            << "  trusted CAs:          " << joined(authorities) << "\n"
            << "  opens without a password: " << (keysReadable ? "yes" : "no") << "\n";
  std::vector<std::string> problems;
  if (!keysReadable) problems.push_back("the database has a password; ikemeshd cannot open it unattended");
  if (withKey.empty())
    problems.push_back("no certificate with a private key: import one with `ikemesh import FILE.p12`");
  if (authorities.empty()) problems.push_back("no trusted CA: peers' certificates cannot be verified");
  for (const auto& problem : problems) std::cout << "problem: " << problem << "\n";
  if (problems.empty()) std::cout << "ok\n";
  return problems.empty() ? 0 : 1;
}

int importCrl(const std::vector<std::string>& args) {
  auto parsed = parseArguments(args, {"--nssdir"});
  if (!parsed) return usageError("importcrl", parsed.error().message);
  if (parsed->positional.size() != 1)
    return usageError("importcrl", "give exactly one CRL file (DER or PEM)");
  const std::string& file = parsed->positional[0];
  if (!QFileInfo(QString::fromStdString(file)).isReadable())
    return failure("importcrl", "cannot read " + file);
  if (!databaseExists(parsed->nssdir))
    return failure("importcrl", "no NSS database in " + plainDirectory(parsed->nssdir).toStdString() +
                                    "; create it with `ikemesh initnss`");
  QTemporaryDir scratch;
  const QString empty = scratch.filePath("empty");
  writePrivateFile(empty, "");
  QStringList arguments{
      "-I", "-d", sqlDirectory(parsed->nssdir), "-f", empty, "-i", QString::fromStdString(file), "-t", "1"};
  auto run = runTool("crlutil", arguments);
  if (!run.ok()) run = runTool("crlutil", arguments << "-a");  // PEM (base64) rather than DER
  if (!run.ok()) return failure("importcrl", "crlutil -I: " + run.said());
  std::cout << "imported the CRL " << file << " into " << sqlDirectory(parsed->nssdir).toStdString()
            << "; certificates it lists are refused once ikemeshd restarts\n";
  return 0;
}

}  // namespace

std::string nssCommandsUsage() {
  return "  initnss    [--nssdir DIR] [--force]: create the NSS database (no password)\n"
         "  import     FILE.p12 [--password-file F] [--nssdir DIR]: import a certificate and key\n"
         "  listcerts  [--nssdir DIR]: the certificates and their trust, as certutil -L\n"
         "  checknss   [--nssdir DIR]: whether the daemon can use the database\n"
         "  importcrl  FILE [--nssdir DIR]: import a CRL (DER or PEM); its certificates are refused\n"
         "             (DIR defaults to " +
         std::string(kDefaultNssDirectory) + ")\n";
}

std::optional<int> runNssCommand(const std::vector<std::string>& arguments) {
  if (arguments.empty()) return std::nullopt;
  const std::string& verb = arguments[0];
  if (verb == "initnss") return initNss(arguments);
  if (verb == "import") return importP12(arguments);
  if (verb == "listcerts") return listCerts(arguments);
  if (verb == "checknss") return checkNss(arguments);
  if (verb == "importcrl") return importCrl(arguments);
  return std::nullopt;
}

}  // namespace ikemesh::cli
