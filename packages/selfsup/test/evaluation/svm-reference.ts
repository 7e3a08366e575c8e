/** MMSelfSup's svm_helper (get_precision_recall + calculate_ap), and the protocol around it, with scikit-learn. */
export const PY_SVM = `
import numpy as np
from sklearn.svm import LinearSVC
from sklearn.metrics import average_precision_score
from sklearn.model_selection import StratifiedKFold, cross_val_score

def calculate_ap(rec, prec):
    rec, prec = rec.reshape(rec.size, 1), prec.reshape(prec.size, 1)
    mrec = np.vstack((np.zeros((1, 1)), rec, np.ones((1, 1))))
    mpre = np.vstack((np.zeros((1, 1)), prec, np.zeros((1, 1))))
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    idx = np.where(mrec[1:] != mrec[0:-1])[0] + 1
    return float(sum((mrec[i] - mrec[i - 1]) * mpre[i] for i in idx))

def voc_ap(targets, preds):
    targets = np.array(targets > 0, dtype=np.float64)
    ind = np.argsort(preds)[::-1]
    tp = targets[ind]
    fp = 1.0 - tp
    P = np.cumsum(tp) / (np.cumsum(tp) + np.cumsum(fp))
    R = np.cumsum(tp) / np.sum(targets)
    return calculate_ap(R, P)

def norm(f):
    f = np.array(f, dtype=np.float64)
    return f / (np.linalg.norm(f, axis=1) + 1e-5)[:, None]

def svc(C):
    # liblinear's primal Newton to a tight tolerance: the exact minimiser of LinearSVC's objective.
    return LinearSVC(C=C, class_weight={1: 2, -1: 1}, intercept_scaling=1.0, penalty='l2',
                     loss='squared_hinge', tol=1e-10, dual=False, max_iter=100000)

def test_scores(models, xte, lte, ncls):
    dec = np.stack([m.decision_function(xte) for m in models], 1)
    aps = [voc_ap(np.where(lte == c, 1, -1), dec[:, c]) * 100 for c in range(ncls)]
    return float(np.mean(aps)), float(np.mean(dec.argmax(1) == lte) * 100), aps
`;
